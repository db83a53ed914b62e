#pragma once
// A move-only type-erased callable with a small inline buffer, so that queued
// tasks holding a promise (move-only) need no allocation in the common case.

#include <cstddef>
#include <functional>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace conc::detail {

template <class Signature>
class MoveOnlyFunction;

template <class R, class... Args>
class MoveOnlyFunction<R(Args...)> {
 public:
  MoveOnlyFunction() noexcept = default;
  MoveOnlyFunction(std::nullptr_t) noexcept {}

  template <class F, class D = std::decay_t<F>,
            class = std::enable_if_t<!std::is_same_v<D, MoveOnlyFunction> && std::is_invocable_r_v<R, D&, Args...>>>
  MoveOnlyFunction(F&& f) {  // NOLINT(google-explicit-constructor): a callable converts like std::function
    if constexpr (fits_inline<D>) {
      ::new (static_cast<void*>(&storage_)) D(std::forward<F>(f));
      ops_ = &inline_ops<D>;
    } else {
      heap_ = new D(std::forward<F>(f));
      ops_ = &heap_ops<D>;
    }
  }

  MoveOnlyFunction(MoveOnlyFunction&& other) noexcept { take(other); }
  MoveOnlyFunction& operator=(MoveOnlyFunction&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }
  MoveOnlyFunction(const MoveOnlyFunction&) = delete;
  MoveOnlyFunction& operator=(const MoveOnlyFunction&) = delete;
  ~MoveOnlyFunction() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }

  R operator()(Args... args) { return ops_->call(target(), std::forward<Args>(args)...); }

 private:
  static constexpr std::size_t kInline = 48;
  template <class D>
  static constexpr bool fits_inline =
      sizeof(D) <= kInline && alignof(D) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<D>;

  struct Ops {
    R (*call)(void*, Args&&...);
    void (*move)(MoveOnlyFunction& to, MoveOnlyFunction& from) noexcept;
    void (*destroy)(MoveOnlyFunction&) noexcept;
  };

  template <class D>
  static constexpr Ops inline_ops{
      [](void* p, Args&&... a) -> R { return std::invoke(*static_cast<D*>(p), std::forward<Args>(a)...); },
      [](MoveOnlyFunction& to, MoveOnlyFunction& from) noexcept {
        D* src = std::launder(reinterpret_cast<D*>(&from.storage_));
        ::new (static_cast<void*>(&to.storage_)) D(std::move(*src));
        src->~D();
      },
      [](MoveOnlyFunction& self) noexcept { std::launder(reinterpret_cast<D*>(&self.storage_))->~D(); }};

  template <class D>
  static constexpr Ops heap_ops{
      [](void* p, Args&&... a) -> R { return std::invoke(*static_cast<D*>(p), std::forward<Args>(a)...); },
      [](MoveOnlyFunction& to, MoveOnlyFunction& from) noexcept { to.heap_ = std::exchange(from.heap_, nullptr); },
      [](MoveOnlyFunction& self) noexcept { delete static_cast<D*>(self.heap_); }};

  void* target() noexcept { return heap_ != nullptr ? heap_ : static_cast<void*>(&storage_); }

  void take(MoveOnlyFunction& other) noexcept {
    if (other.ops_ != nullptr) {
      other.ops_->move(*this, other);
      ops_ = std::exchange(other.ops_, nullptr);
    }
  }
  void reset() noexcept {
    if (ops_ != nullptr) {
      ops_->destroy(*this);
      ops_ = nullptr;
      heap_ = nullptr;
    }
  }

  alignas(std::max_align_t) std::byte storage_[kInline];
  void* heap_ = nullptr;
  const Ops* ops_ = nullptr;
};

}  // namespace conc::detail
