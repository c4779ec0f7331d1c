return {
  safety = {
    "allergy", "allergic", "anaphyla", "epipen", "food poisoning", "got sick", "threw up", "vomit", "hospital",
    "hives", "swelling", "glass in", "hair in my", "foreign object", "undercooked chicken", "raw chicken",
  },
  delivery = { "delivery", "delivered", "driver", "never arrived", "still waiting", "cold food", "missing item", "wrong order" },
  reservation = { "reservation", "booking", "book a table", "table for", "cancel my", "party of", "waitlist" },
  billing = { "charged twice", "refund", "overcharged", "receipt", "gift card", "bill" },
  praise = { "amazing", "wonderful", "loved", "thank you", "excellent", "great service" },
}
