#pragma once

namespace refserver {
inline constexpr const char* kVersion = REFSERVER_VERSION;
}  // namespace refserver
