// SPDX-License-Identifier: MIT
#include "hw_models/core/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace xb {

namespace {

// A persistent pool: spawning threads per call would cost more than a 512x512 read (tens of
// microseconds), so workers wait between jobs: first spinning for a short while (parallel
// sections come in bursts: the trains, then the pulses, then the next read), then asleep on a
// condition variable. The caller never waits for a worker that has not started: work is
// claimed block by block (parallel_rows), and a worker that wakes after the last block was
// claimed finds no job and goes back to waiting. Waking a sleeping virtual CPU can take a
// millisecond, which a fixed split would add to every call.
class Pool {
 public:
  ~Pool() { resize(1); }

  void resize(int n) {
    {
      std::unique_lock<std::mutex> lk(m_);
      stop_ = true;
      generation_.fetch_add(1);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
    stop_ = false;
    n_ = std::max(1, n);
    const uint64_t gen0 = generation_.load();  // workers start from here: no job is missed
    for (int k = 1; k < n_; ++k) workers_.emplace_back([this, k, gen0] { loop(k, gen0); });
  }
  int size() const { return n_; }

  // Runs job(part) on the caller (part 0) and on the workers (parts 1 .. parts−1) that start
  // before the caller's own job(0) returns; job must share its work out dynamically.
  void run(int parts, const std::function<void(int)>& job) {
    {
      std::unique_lock<std::mutex> lk(m_);
      job_ = &job;
      parts_ = parts;
      generation_.fetch_add(1);
    }
    cv_.notify_all();
    job(0);
    std::unique_lock<std::mutex> lk(m_);
    job_ = nullptr;  // a worker that starts from now on finds nothing to do
    done_cv_.wait(lk, [this] { return running_ == 0; });
  }

 private:
  void loop(int k, uint64_t seen) {
    for (;;) {
      // Spin for up to ~100 µs before sleeping.
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(100);
      while (generation_.load(std::memory_order_acquire) == seen &&
             std::chrono::steady_clock::now() < until) {
      }
      const std::function<void(int)>* job = nullptr;
      {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [&] { return generation_.load() != seen; });
        seen = generation_.load();
        if (stop_) return;
        if (k >= parts_ || !job_) continue;
        job = job_;
        ++running_;
      }
      (*job)(k);
      {
        std::unique_lock<std::mutex> lk(m_);
        if (--running_ == 0) done_cv_.notify_all();
      }
    }
  }

  int n_ = 1;
  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable cv_, done_cv_;
  std::atomic<uint64_t> generation_{0};
  bool stop_ = false;
  const std::function<void(int)>* job_ = nullptr;
  int parts_ = 0;
  int running_ = 0;  // workers inside a job
};

Pool& pool() {
  static Pool p;
  return p;
}

std::mutex& run_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

void set_threads(int n) {
  std::lock_guard<std::mutex> lk(run_mutex());
  pool().resize(std::max(1, n));
}

int threads() { return pool().size(); }

void parallel_rows(Index n, const std::function<void(Index, Index)>& f, Index block) {
  if (n <= 0) return;
  block = std::max<Index>(1, block);
  const Index nblocks = (n + block - 1) / block;
  auto run_blocks = [&](Index b0, Index b1) {
    for (Index b = b0; b < b1; ++b) f(b * block, std::min(n, (b + 1) * block));
  };
  const Index parts = std::min<Index>(threads(), nblocks);
  if (parts <= 1) {
    run_blocks(0, nblocks);
    return;
  }
  // One job at a time: nested or concurrent callers run serially rather than deadlock.
  std::unique_lock<std::mutex> lk(run_mutex(), std::try_to_lock);
  if (!lk.owns_lock()) {
    run_blocks(0, nblocks);
    return;
  }
  // Blocks are claimed one at a time from a shared counter rather than split in fixed halves:
  // a worker that wakes late (a sleeping virtual CPU can take a millisecond) or a block with
  // more work leaves the rest to whoever is free. Which thread computes a block never changes
  // what it computes.
  std::atomic<Index> next{0};
  const std::function<void(int)> job = [&](int) {
    for (Index b; (b = next.fetch_add(1, std::memory_order_relaxed)) < nblocks;)
      f(b * block, std::min(n, (b + 1) * block));
  };
  pool().run(static_cast<int>(parts), job);
}

}  // namespace xb
