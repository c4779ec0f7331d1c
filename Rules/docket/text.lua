-- docket.text: case and accent folding (Spanish, Vietnamese) and keyword matching.
-- Matching uses plain find on folded text: linear time, no pattern costs.
local M = {}
local gsub = unbounded_string.gsub

local FOLD = {
  ["À"] = "a",
  ["Á"] = "a",
  ["Â"] = "a",
  ["Ã"] = "a",
  ["Ä"] = "a",
  ["Ç"] = "c",
  ["È"] = "e",
  ["É"] = "e",
  ["Ê"] = "e",
  ["Ë"] = "e",
  ["Ì"] = "i",
  ["Í"] = "i",
  ["Î"] = "i",
  ["Ï"] = "i",
  ["Ñ"] = "n",
  ["Ò"] = "o",
  ["Ó"] = "o",
  ["Ô"] = "o",
  ["Õ"] = "o",
  ["Ö"] = "o",
  ["Ù"] = "u",
  ["Ú"] = "u",
  ["Û"] = "u",
  ["Ü"] = "u",
  ["Ý"] = "y",
  ["à"] = "a",
  ["á"] = "a",
  ["â"] = "a",
  ["ã"] = "a",
  ["ä"] = "a",
  ["ç"] = "c",
  ["è"] = "e",
  ["é"] = "e",
  ["ê"] = "e",
  ["ë"] = "e",
  ["ì"] = "i",
  ["í"] = "i",
  ["î"] = "i",
  ["ï"] = "i",
  ["ñ"] = "n",
  ["ò"] = "o",
  ["ó"] = "o",
  ["ô"] = "o",
  ["õ"] = "o",
  ["ö"] = "o",
  ["ù"] = "u",
  ["ú"] = "u",
  ["û"] = "u",
  ["ü"] = "u",
  ["ý"] = "y",
  ["ÿ"] = "y",
  ["Ă"] = "a",
  ["ă"] = "a",
  ["Đ"] = "d",
  ["đ"] = "d",
  ["Ĩ"] = "i",
  ["ĩ"] = "i",
  ["Ũ"] = "u",
  ["ũ"] = "u",
  ["Ÿ"] = "y",
  ["Ơ"] = "o",
  ["ơ"] = "o",
  ["Ư"] = "u",
  ["ư"] = "u",
  ["Ạ"] = "a",
  ["ạ"] = "a",
  ["Ả"] = "a",
  ["ả"] = "a",
  ["Ấ"] = "a",
  ["ấ"] = "a",
  ["Ầ"] = "a",
  ["ầ"] = "a",
  ["Ẩ"] = "a",
  ["ẩ"] = "a",
  ["Ẫ"] = "a",
  ["ẫ"] = "a",
  ["Ậ"] = "a",
  ["ậ"] = "a",
  ["Ắ"] = "a",
  ["ắ"] = "a",
  ["Ằ"] = "a",
  ["ằ"] = "a",
  ["Ẳ"] = "a",
  ["ẳ"] = "a",
  ["Ẵ"] = "a",
  ["ẵ"] = "a",
  ["Ặ"] = "a",
  ["ặ"] = "a",
  ["Ẹ"] = "e",
  ["ẹ"] = "e",
  ["Ẻ"] = "e",
  ["ẻ"] = "e",
  ["Ẽ"] = "e",
  ["ẽ"] = "e",
  ["Ế"] = "e",
  ["ế"] = "e",
  ["Ề"] = "e",
  ["ề"] = "e",
  ["Ể"] = "e",
  ["ể"] = "e",
  ["Ễ"] = "e",
  ["ễ"] = "e",
  ["Ệ"] = "e",
  ["ệ"] = "e",
  ["Ỉ"] = "i",
  ["ỉ"] = "i",
  ["Ị"] = "i",
  ["ị"] = "i",
  ["Ọ"] = "o",
  ["ọ"] = "o",
  ["Ỏ"] = "o",
  ["ỏ"] = "o",
  ["Ố"] = "o",
  ["ố"] = "o",
  ["Ồ"] = "o",
  ["ồ"] = "o",
  ["Ổ"] = "o",
  ["ổ"] = "o",
  ["Ỗ"] = "o",
  ["ỗ"] = "o",
  ["Ộ"] = "o",
  ["ộ"] = "o",
  ["Ớ"] = "o",
  ["ớ"] = "o",
  ["Ờ"] = "o",
  ["ờ"] = "o",
  ["Ở"] = "o",
  ["ở"] = "o",
  ["Ỡ"] = "o",
  ["ỡ"] = "o",
  ["Ợ"] = "o",
  ["ợ"] = "o",
  ["Ụ"] = "u",
  ["ụ"] = "u",
  ["Ủ"] = "u",
  ["ủ"] = "u",
  ["Ứ"] = "u",
  ["ứ"] = "u",
  ["Ừ"] = "u",
  ["ừ"] = "u",
  ["Ử"] = "u",
  ["ử"] = "u",
  ["Ữ"] = "u",
  ["ữ"] = "u",
  ["Ự"] = "u",
  ["ự"] = "u",
  ["Ỳ"] = "y",
  ["ỳ"] = "y",
  ["Ỵ"] = "y",
  ["ỵ"] = "y",
  ["Ỷ"] = "y",
  ["ỷ"] = "y",
  ["Ỹ"] = "y",
  ["ỹ"] = "y",
}

--- Lower-cases and strips accents: "Instalación ĐƠN" -> "instalacion don".
function M.fold(s)
  if type(s) ~= "string" then return "" end
  s = gsub(s, "[\xC2-\xDF][\x80-\xBF]", FOLD)
  s = gsub(s, "[\xE0-\xEF][\x80-\xBF][\x80-\xBF]", FOLD)
  return s:lower()
end

--- Collapses whitespace and punctuation to single spaces, for phrase matching.
function M.normalize(s)
  return " " .. gsub(M.fold(s), "[%p%s]+", " ") .. " "
end

--- True when the folded text contains the folded keyword anywhere.
function M.contains(text, keyword)
  return string.find(M.fold(text), M.fold(keyword), 1, true) ~= nil
end

-- Normalized keywords, memoised: rule keyword lists are the same on every event. Bounded,
-- and only ever holds strings derived from the keywords themselves.
local memo, memo_size = {}, 0
local function normalized_keyword(keyword)
  local cached = memo[keyword]
  if cached then return cached end
  cached = M.normalize(keyword):sub(2, -2)
  if memo_size < 4096 then
    memo[keyword] = cached
    memo_size = memo_size + 1
  end
  return cached
end

--- The first keyword (folded) found in the text, or nil.
function M.find_any(text, keywords)
  local folded = M.normalize(text)
  for _, keyword in ipairs(keywords) do
    if string.find(folded, normalized_keyword(keyword), 1, true) then return keyword end
  end
  return nil
end

function M.contains_any(text, keywords)
  return M.find_any(text, keywords) ~= nil
end

--- Whole-word phrase match: "sin luz" matches "estamos sin luz." but not "sin luzmila".
function M.has_phrase(text, phrase)
  return string.find(M.normalize(text), " " .. normalized_keyword(phrase) .. " ", 1, true) ~= nil
end

function M.has_any_phrase(text, phrases)
  local folded = M.normalize(text)
  for _, phrase in ipairs(phrases) do
    if string.find(folded, " " .. normalized_keyword(phrase) .. " ", 1, true) then return phrase end
  end
  return nil
end

return M
