-- wrk script: each request opens a ticket as a customer (token in DOCKET_TOKEN).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("DOCKET_TOKEN")
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format(
    '{"subject":"Luminaria apagada en la calle %d","description":"La luminaria frente al número %d no enciende desde anoche; el poste tiene el cable expuesto.","category":"light_malfunction","priority":"high","tags":["poste"]}',
    counter, counter)
  return wrk.format(nil, "/api/v2/tickets", nil, body)
end
