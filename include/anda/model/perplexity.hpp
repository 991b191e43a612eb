// Perplexity over windows of a token stream (the model folders' convention): window i is
// tokens[i * L, (i + 1) * L), fed alone at positions 0..L-1 with no BOS added; it predicts its
// tokens 1..L-1, so each window contributes L - 1 negative log-likelihoods. mean_nll is the mean
// over all windows x (L - 1) predictions and perplexity = exp(mean_nll).
//
// With a stride S < L (a sliding window, as Hugging Face's perplexity recipe): window i is
// tokens[i * S, i * S + L); the first scores its tokens 1..L-1, every later one only its last S
// tokens (those the previous window did not reach), each then predicted from at least L - S
// tokens of context. mean_nll is the mean over all these predictions.
//
// Windows run in parallel on `threads` std::threads: min(threads, windows) windows at a time,
// each forward pass on threads / that many threads (llama_model::hidden_states: so one window
// alone uses every thread). Per-window NLLs are summed in window order and a window's numbers do
// not depend on its threads, so the result is identical for any thread count.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <mutex>
#include <new>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "anda/format/error.hpp"
#include "anda/model/llama.hpp"
#include "anda/model/precision.hpp"
#include "anda/model/tokens.hpp"

namespace anda::model {

struct perplexity_options {
  std::size_t windows = 0;  // 0: every whole window in the stream
  std::size_t window_len = 256;
  std::size_t stride = 0;  // 0 or window_len: non-overlapping windows; 1..window_len - 1: sliding
  int threads = 1;
  // The memory the concurrent windows may need, in bytes; 0: this machine's physical memory.
  // Checked up front (llama_model::window_bytes): too long a window is an error saying how much
  // it needs, not a std::bad_alloc.
  double max_memory_bytes = 0;
  // Called after each finished window with (windows done, windows total); calls are serialized
  // (never concurrent) but may come from any worker thread.
  std::function<void(std::size_t, std::size_t)> progress;
};

struct perplexity_result {
  double mean_nll = 0;
  double perplexity = 0;
  std::vector<double> window_nll;  // mean NLL of each window, in window order
  std::size_t windows = 0;
  std::size_t tokens = 0;       // tokens fed: windows x window_len
  std::size_t predictions = 0;  // window_len - 1, plus stride (or window_len - 1) per later window
  std::size_t concurrent_windows = 0;  // windows evaluated at once
  int threads_per_window = 0;          // threads of each window's forward pass
  double seconds = 0;                  // wall time of the evaluation
  double tokens_per_second() const { return seconds > 0 ? double(tokens) / seconds : 0; }
};

// How many windows of L tokens starting every S tokens (S = 0: every L) fit whole in n tokens.
inline std::size_t whole_windows(std::size_t n, std::size_t L, std::size_t S) {
  if (S == 0) S = L;
  return n < L ? 0 : (n - L) / S + 1;
}

// Mean NLL of predicting tokens[t + 1] from logits column t (logits by token, [vocab, n] with
// n = T - 1 or T), t = 0..T-2: log-sum-exp with the exponentials in float (vectorized, relative
// error ~1e-7) and the sums in double.
inline double window_mean_nll(const Eigen::MatrixXf& logits_by_token,
                              std::span<const std::int32_t> tokens) {
  const Eigen::Index n = static_cast<Eigen::Index>(tokens.size()) - 1;
  Eigen::ArrayXf e(logits_by_token.rows());
  double total = 0;
  for (Eigen::Index t = 0; t < n; ++t) {
    const auto col = logits_by_token.col(t).array();
    const float mx = col.maxCoeff();
    e = (col - mx).exp();
    const double sum = e.cast<double>().sum();
    total += double(mx) + std::log(sum) - double(logits_by_token(tokens[std::size_t(t + 1)], t));
  }
  return total / double(n);
}

// Evaluates `act` on the model; the model's weight precision was fixed when it was built.
// Throws anda::error when the stream holds fewer tokens than the windows need, an id is outside
// the vocabulary, window_len < 2 or threads < 1; an error inside a window is rethrown here.
inline perplexity_result evaluate_perplexity(const llama_model& model,
                                             std::span<const std::int32_t> tokens,
                                             const activation_precision& act,
                                             const perplexity_options& opt = {}) {
  const auto start = std::chrono::steady_clock::now();
  act.validate();
  const std::size_t L = opt.window_len;
  if (L < 2) throw error("perplexity: the window length must be at least 2");
  if (opt.threads < 1) throw error("perplexity: threads must be at least 1");
  const std::size_t S = opt.stride ? opt.stride : L;
  if (S > L) throw error("perplexity: the stride must not exceed the window length");
  // Window i is tokens[i * S, i * S + L); the windows that fit whole in the stream.
  const std::size_t available = whole_windows(tokens.size(), L, S);
  const std::size_t W = opt.windows ? opt.windows : available;
  if (W == 0 || W > available) {
    const std::size_t w = W ? W : 1;
    const bool wraps = w - 1 > (std::numeric_limits<std::size_t>::max() - L) / S;
    throw error("perplexity: " + std::to_string(w) + " window(s) of " + std::to_string(L) +
                " tokens" + (S < L ? " at stride " + std::to_string(S) : std::string()) + " need " +
                (wraps ? std::string("more than 2^64") : std::to_string((w - 1) * S + L)) +
                " tokens, the stream has " + std::to_string(tokens.size()));
  }
  // Predictions scored by window i > 0: its last S tokens (all but its first when S = L).
  const std::size_t later = std::min(S, L - 1);
  const int max_positions = model.config().max_positions;
  if (max_positions > 0 && L > std::size_t(max_positions))
    throw error("perplexity: a window of " + std::to_string(L) +
                " tokens exceeds max_position_embeddings = " + std::to_string(max_positions));
  check_tokens(tokens.first((W - 1) * S + L), model.config().vocab_size, "perplexity");
  const std::size_t concurrent = std::min<std::size_t>(std::size_t(opt.threads), W);
  const int per_window = int(std::size_t(opt.threads) / concurrent);
  try {
    model.check_window_memory(L, concurrent, opt.max_memory_bytes, true, per_window);
  } catch (const error& e) {
    throw error(std::string("perplexity: ") + e.what());
  }

  perplexity_result r;
  r.window_nll.assign(W, 0.0);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;  // guards error, done and the progress callback
  std::exception_ptr error_ptr;
  std::size_t done = 0;
  auto work = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= W || failed) return;
      try {
        const auto window = tokens.subspan(i * S, L);
        // Scored: targets L - n .. L - 1, predicted by positions L - n - 1 .. L - 2 (the last
        // position predicts nothing), so the head runs on those rows only.
        const std::size_t n = i == 0 ? L - 1 : later;
        const Eigen::MatrixXf h = model.hidden_states(window, act, per_window);
        const auto first = Eigen::Index(L - n - 1);
        r.window_nll[i] =
            window_mean_nll(model.head_by_token(h.middleRows(first, Eigen::Index(n)), per_window),
                            window.subspan(L - n - 1));
        std::lock_guard lock{mu};
        ++done;
        if (opt.progress) opt.progress(done, W);  // inside the try: a throw here is reported too
      } catch (...) {
        std::lock_guard lock{mu};  // the guard above, if taken, was released by the unwinding
        if (!error_ptr) {
          try {
            throw;
          } catch (const std::bad_alloc&) {  // the estimate was too low, or memory is limited
            error_ptr = std::make_exception_ptr(
                error("perplexity: out of memory in window " + std::to_string(i) +
                      " (one window of " + std::to_string(L) + " tokens needs about " +
                      detail::gib(model.window_bytes(L, true, per_window)) + ", " +
                      std::to_string(concurrent) + " at once)"));
          } catch (...) {
            error_ptr = std::current_exception();
          }
        }
        failed = true;
        return;
      }
    }
  };
  {
    std::vector<std::jthread> workers;
    for (std::size_t t = 1; t < concurrent; ++t) workers.emplace_back(work);
    work();
  }
  if (error_ptr) std::rethrow_exception(error_ptr);

  // In window order: independent of the thread count. Non-overlapping windows all score L - 1
  // predictions, so their mean is the mean of the window means.
  double sum = 0;
  for (std::size_t i = 0; i < W; ++i)
    sum += S == L ? r.window_nll[i] : r.window_nll[i] * double(i == 0 ? L - 1 : later);
  r.windows = W;
  r.tokens = W * L;
  r.predictions = (L - 1) + (W - 1) * later;
  r.concurrent_windows = concurrent;
  r.threads_per_window = per_window;
  r.mean_nll = sum / double(S == L ? W : r.predictions);
  r.perplexity = std::exp(r.mean_nll);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace anda::model
