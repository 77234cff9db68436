"""Audit's read models: tables of facts per case, offer, return, call-back, whistle and meeting task,
kept current in bulk by audit's consumer; every figure is a query over them."""
