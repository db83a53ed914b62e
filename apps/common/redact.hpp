#pragma once
// Secrets never reach disk or a terminal. Every URL the tools write or print goes through this one
// rule first:
//
//   - in `scheme://USER:PASSWORD@host/...` the password becomes *** (`scheme://USER:***@host/...`);
//   - a user without a password is often a token (`https://TOKEN@host/`): it becomes *** as a whole.
//
// The userinfo is what comes before the last '@' of the authority, which runs from "://" to the
// first '/', white space, quote or angle bracket: a password holding '#', '?' or ':' is hidden
// whole. The rule applies to every URL inside a text (a message that names several), and is
// idempotent: a redacted URL stays as it is, so it can be the key a record is found by.

#include <string>
#include <string_view>

namespace common {

// The text with the credentials of every URL in it replaced as above.
std::string redact_urls(std::string_view text);

}  // namespace common
