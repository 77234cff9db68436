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
// Back to a page kept whole by the browser (back/forward cache): a form sent from it may be sent again, as a new
// action with a key of its own (the old one would replay the first answer, or be refused for a changed form).
// Outside a secure context there is no crypto.randomUUID: the page is rendered again instead.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  const sent = document.querySelectorAll("form[data-sending]");
  if (sent.length && !(window.crypto && crypto.randomUUID)) {
    location.reload();
    return;
  }
  sent.forEach((form) => {
    form.querySelector('input[name="idempotency_key"]').value = crypto.randomUUID();
    delete form.dataset.sending;
    form.removeAttribute("aria-busy");
    form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
  });
});
