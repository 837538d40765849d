-- W1: a clerk registers cases through POST /api/v1/petitions/ (JSON), each with its own
-- complainant phone (so the repeat check looks a person up like it does at a real desk).
dofile(os.getenv("BENCH_LUA") .. "/report.lua")
local region = os.getenv("BENCH_REGION")
local categories = {"infrastructure", "other", "social_security", "land", "neighbour_dispute", "forest_land",
                    "benefit_policy"}
local channels = {"visit", "phone", "letter", "outreach"}
local counter = 0

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init(args)
  math.randomseed(seed + os.time())
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"channel": "%s", "category": "%s", "region": "%s", "title": "村道损毁需修复 %d", ' ..
    '"content": "村民反映通组公路路面塌陷，雨天无法通行，请求尽快修复。", "complainant_name": "王明华", ' ..
    '"complainant_phone": "139%08d"}',
    channels[math.random(#channels)], categories[math.random(#categories)], region, counter,
    math.random(0, 99999999))
  return wrk.format("POST", "/api/v1/petitions/", {
    ["Authorization"] = os.getenv("BENCH_AUTH"),
    ["Content-Type"] = "application/json",
    ["Accept-Language"] = "zh-hans",
  }, body)
end
