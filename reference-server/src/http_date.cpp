#include "http_date.h"

#include <cstring>

namespace refserver {
namespace {

void Put2(char* out, int v) {
  out[0] = static_cast<char>('0' + v / 10);
  out[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

void FormatHttpDate(std::time_t t, char* out) {
  static constexpr char kDays[] = "SunMonTueWedThuFriSat";
  static constexpr char kMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::memcpy(out, kDays + 3 * tm.tm_wday, 3);
  out[3] = ',';
  out[4] = ' ';
  Put2(out + 5, tm.tm_mday);
  out[7] = ' ';
  std::memcpy(out + 8, kMonths + 3 * tm.tm_mon, 3);
  out[11] = ' ';
  const int year = (tm.tm_year + 1900) % 10000;
  Put2(out + 12, year / 100);
  Put2(out + 14, year % 100);
  out[16] = ' ';
  Put2(out + 17, tm.tm_hour);
  out[19] = ':';
  Put2(out + 20, tm.tm_min);
  out[22] = ':';
  Put2(out + 23, tm.tm_sec);
  std::memcpy(out + 25, " GMT", 4);
}

}  // namespace refserver
