#pragma once
// A file name is bytes. Names are read, compared and written as the filesystem gives them; only
// where a name must become text (JSON, HTML, a terminal) is it written by this one reversible rule:
//
//   - valid UTF-8 stays as it is;
//   - a backslash becomes two ("\\");
//   - each byte that is not part of valid UTF-8 becomes "\xHH" (two upper-case hex digits).
//
// So "café.jpg" in UTF-8 is written "café.jpg", the Latin-1 "caf\xE9.jpg" is written with the four
// characters \xE9, and name_from_text() gives the bytes back. (In a JSON file the backslashes are
// escaped once more by JSON itself: "caf\\xE9.jpg".)

#include <string>
#include <string_view>

namespace common {

// The name as text by the rule above: valid UTF-8, losslessly.
std::string name_to_text(std::string_view name);

// The same, with control characters (U+0000 to U+001F and U+007F) also written as \xHH, so that a
// name never breaks the line of a message or moves a terminal's cursor. name_from_text() reads it.
std::string name_for_display(std::string_view name);

// The bytes of a name written by name_to_text() or name_for_display(); std::invalid_argument when
// the text holds a backslash that starts neither "\\" nor "\xHH".
std::string name_from_text(std::string_view text);

// Whether the bytes are valid UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF).
bool is_valid_utf8(std::string_view bytes);

}  // namespace common
