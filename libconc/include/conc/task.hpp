#pragma once
/// @file
/// Tasks for the process pool: a function registered under its name, with its
/// argument and result turned into bytes by a Codec.
///
/// ```
/// ThumbResult make_thumbnail(const ThumbJob& job);
/// CONC_TASK(make_thumbnail);
/// ```
///
/// A worker process is this same program started in worker mode, so a registered
/// function exists there without fork(): main() must begin with
/// `conc::worker_main_if_requested(argc, argv);`
///
/// `Codec<T>` is provided for std::string (raw bytes), trivially copyable types and
/// std::vector of them; other types specialise conc::Codec (see json_codec.hpp).

#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace conc {

/// How a T becomes bytes and back, to cross a process boundary. A specialisation has
/// `static void encode(const T&, std::string& out)` (append the bytes) and
/// `static T decode(std::string_view)` (throw on bytes that are not a T). Enable is for
/// specialisations that match a family of types.
template <class T, class Enable = void>
struct Codec;

/// A std::string travels as its bytes.
template <>
struct Codec<std::string> {
  /// Appends value as is.
  static void encode(const std::string& value, std::string& out) { out.append(value); }
  /// The bytes as a string.
  static std::string decode(std::string_view bytes) { return std::string(bytes); }
};

/// A trivially copyable T (a number, a plain struct) travels as its object bytes, which both ends,
/// built from the same code, lay out alike. Pointers do not travel.
template <class T>
struct Codec<T, std::enable_if_t<std::is_trivially_copyable_v<T> && !std::is_pointer_v<T>>> {
  /// Appends the sizeof(T) bytes of value.
  static void encode(const T& value, std::string& out) { out.append(reinterpret_cast<const char*>(&value), sizeof(T)); }
  /// A copy of the bytes as a T; throws std::runtime_error when they are not sizeof(T) long.
  static T decode(std::string_view bytes) {
    if (bytes.size() != sizeof(T)) throw std::runtime_error("conc: payload size does not match its type");
    T value;
    std::memcpy(&value, bytes.data(), sizeof(T));
    return value;
  }
};

/// A std::vector of a trivially copyable T travels as its elements' bytes, back to back.
template <class T>
struct Codec<std::vector<T>, std::enable_if_t<std::is_trivially_copyable_v<T>>> {
  /// Appends the bytes of every element.
  static void encode(const std::vector<T>& value, std::string& out) {
    out.append(reinterpret_cast<const char*>(value.data()), value.size() * sizeof(T));
  }
  /// The elements; throws std::runtime_error when the size is not a whole number of T.
  static std::vector<T> decode(std::string_view bytes) {
    if (bytes.size() % sizeof(T) != 0) throw std::runtime_error("conc: payload size does not match its type");
    std::vector<T> value(bytes.size() / sizeof(T));
    std::memcpy(value.data(), bytes.data(), bytes.size());
    return value;
  }
};

/// The bytes of value, through `Codec<T>`.
template <class T>
std::string encode(const T& value) {
  std::string out;
  Codec<T>::encode(value, out);
  return out;
}

/// The T that bytes encode, through `Codec<T>`.
template <class T>
T decode(std::string_view bytes) {
  return Codec<T>::decode(bytes);
}

/// Runs a registered task in a worker: payload in, encoded result out; throws on failure.
using TaskInvoker = std::string (*)(std::string_view payload);

/// A registered task and its encoded argument (for an initializer, or for submit_raw).
struct TaskCall {
  std::string name;     ///< the name the task was registered under
  std::string payload;  ///< its argument, encoded
  /// Whether no task is named (an initializer left unset).
  bool empty() const noexcept { return name.empty(); }
};

namespace detail {

template <class F>
struct TaskSignature;
template <class R, class A>
struct TaskSignature<R (*)(A)> {
  using Result = R;
  using Argument = std::remove_cvref_t<A>;
};
template <class R, class A>
struct TaskSignature<R (*)(A) noexcept> : TaskSignature<R (*)(A)> {};

template <auto F>
struct TaskName {
  static inline const char* name = nullptr;
};

void register_task(const char* name, TaskInvoker invoker);

template <auto F>
std::string invoke_task(std::string_view payload) {
  using Sig = TaskSignature<decltype(F)>;
  if constexpr (std::is_void_v<typename Sig::Result>) {
    F(Codec<typename Sig::Argument>::decode(payload));
    return {};
  } else {
    return encode(F(Codec<typename Sig::Argument>::decode(payload)));
  }
}

template <auto F>
bool register_typed_task(const char* name) {
  TaskName<F>::name = name;
  register_task(name, &invoke_task<F>);
  return true;
}

}  // namespace detail

/// The registered name of task F; throws std::logic_error if F was not registered with CONC_TASK.
template <auto F>
std::string task_name() {
  const char* name = detail::TaskName<F>::name;
  if (name == nullptr) throw std::logic_error("conc: task function is not registered (CONC_TASK)");
  return name;
}

/// Task F with its argument encoded, as ProcessPoolOptions::initializer takes it:
/// `.initializer = conc::task_call<load_model>(path)`.
template <auto F>
TaskCall task_call(const typename detail::TaskSignature<decltype(F)>::Argument& argument) {
  return {task_name<F>(), encode(argument)};
}

/// The invoker registered under name, or nullptr.
TaskInvoker find_task(std::string_view name);

/// In a child started by ProcessPool (argv[1] == "--conc-worker") or by Process
/// ("--conc-process") runs the child's part and exits; otherwise returns at once. Call it first
/// in main(), before anything that a worker should not do (parse options, open files, start threads).
void worker_main_if_requested(int argc, char** argv);

}  // namespace conc

#define CONC_TASK_CONCAT_(a, b) a##b
#define CONC_TASK_CONCAT(a, b) CONC_TASK_CONCAT_(a, b)
/// Registers fn (a function taking one argument) as a process-pool task named `#fn`. Use it at
/// namespace scope, next to the function, in the program that runs the pool (its workers are
/// that program again).
#define CONC_TASK(fn)                                                                    \
  [[maybe_unused]] static const bool CONC_TASK_CONCAT(conc_task_registered_, __LINE__) = \
      ::conc::detail::register_typed_task<&fn>(#fn)
