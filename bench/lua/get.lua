-- GET one path with an Authorization header or a session cookie (BENCH_AUTH, BENCH_COOKIE).
dofile(os.getenv("BENCH_LUA") .. "/report.lua")
wrk.method = "GET"
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then wrk.headers["Cookie"] = cookie end
wrk.headers["Accept-Language"] = "zh-hans"
