// A command form (one carrying an idempotency_key: see form_keys.py) is sent once per render: a second click
// while the first send is on its way does nothing, and its buttons show they are busy. The server's key is the
// guarantee (a resubmit records nothing twice); this only spares the person a second round trip.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.querySelector('input[name="idempotency_key"]')) return;
  if (form.dataset.sending) {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "true";
  form.setAttribute("aria-busy", "true");
  // after this turn: a button disabled now would leave its own name/value out of what is sent
  setTimeout(() => form.querySelectorAll("button[type=submit], button:not([type])").forEach((b) => { b.disabled = true; }));
});
// Back to a page kept whole by the browser (back/forward cache): its forms may be sent again.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  document.querySelectorAll("form[data-sending]").forEach((form) => {
    delete form.dataset.sending;
    form.removeAttribute("aria-busy");
    form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
  });
});
