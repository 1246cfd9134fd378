-- wrk script: sends PIPELINE_DEPTH (default 16) GET requests for WRK_PATH (default /json) in
-- one write. wrk counts every response, so req/s is responses per second.
local depth = tonumber(os.getenv("PIPELINE_DEPTH") or "16")
local path = os.getenv("WRK_PATH") or "/json"
local batch

init = function(args)
  local parts = {}
  for i = 1, depth do
    parts[i] = wrk.format(nil, path)
  end
  batch = table.concat(parts)
end

request = function()
  return batch
end
