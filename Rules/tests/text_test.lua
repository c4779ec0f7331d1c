local text = require("docket.text")
local T = {}

function T.folds_spanish()
  assert(text.fold("Instalación ELÉCTRICA Ñandú") == "instalacion electrica nandu", text.fold("Instalación ELÉCTRICA Ñandú"))
end

function T.folds_vietnamese()
  assert(text.fold("Đơn hỗ trợ: CHƯA NHẬN ĐƯỢC HÀNG") == "don ho tro: chua nhan duoc hang")
end

function T.keywords_ignore_accents_and_case()
  assert(text.contains("Hay CHISPAS en el poste", "chispas"))
  assert(text.find_any("olor a quemado en la caja", { "sin luz", "olor a quemado" }) == "olor a quemado")
  assert(text.find_any("todo bien", { "sin luz" }) == nil)
  assert(text.contains_any("Tôi chưa nhận được hàng", { "chua nhan duoc hang" }))
end

function T.phrases_match_whole_words()
  assert(text.has_phrase("Estamos SIN LUZ desde ayer.", "sin luz"))
  assert(not text.has_phrase("sin luzmila", "sin luz"))
  assert(text.has_any_phrase("corto-circuito!", { "corto circuito" }) == "corto circuito")
end

function T.non_strings_fold_to_empty()
  assert(text.fold(nil) == "")
end

return T
