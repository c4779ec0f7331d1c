-- Words and the fixed texts rules may write. Nothing a patient typed is ever copied out.
return {
  emergency = {
    "chest pain", "can't breathe", "cannot breathe", "trouble breathing", "short of breath", "shortness of breath",
    "stroke", "face drooping", "slurred speech", "unconscious", "passed out", "seizure", "severe bleeding",
    "bleeding heavily", "suicidal", "kill myself", "overdose", "anaphyla", "throat swelling",
  },
  worrying = { "high fever", "fever of 10", "severe pain", "vomiting blood", "blood in", "worse", "getting worse", "dizzy" },
  appointments = { "appointment", "reschedule", "book a visit", "cancel my visit", "availability", "check-up", "checkup" },
  prescriptions = { "refill", "prescription", "pharmacy", "medication", "dosage", "side effect" },
  billing = { "bill", "invoice", "insurance", "copay", "charged", "payment plan", "claim" },
  records = { "medical records", "test results", "lab results", "x-ray", "form", "vaccination record" },
  call_note = "Clinical urgency words detected: call the patient now. If it is an emergency, tell them to call 911. "
    .. "Do not reply in writing first.",
  reply_note = "A patient reply contains clinical urgency words: call the patient now.",
}
