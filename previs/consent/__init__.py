"""Consent: performers, dated revocable grants, the audit, and the gate every generation passes."""
