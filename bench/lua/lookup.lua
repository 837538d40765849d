-- W3: the public lookup with valid codes, spread over the sampled cases (each case a few
-- times per run; right codes are not counted by the lookup limits).
dofile(os.getenv("BENCH_LUA") .. "/report.lua")
local pairs_list = {}
for line in io.lines(os.getenv("BENCH_LOOKUP_FILE")) do
  local number, code = line:match("^(%S+) (%S+)$")
  pairs_list[#pairs_list + 1] = {number, code}
end
local next_index = 0

function setup(thread)
  thread:set("offset", math.random(1, #pairs_list))
end

function init(args)
  next_index = offset
end

function request()
  next_index = next_index % #pairs_list + 1
  local pair = pairs_list[next_index]
  local body = string.format('{"tracking_number": "%s", "query_code": "%s"}', pair[1], pair[2])
  return wrk.format("POST", "/api/v1/public/lookup/", {
    ["Content-Type"] = "application/json",
    ["Accept-Language"] = "zh-hans",
  }, body)
end
