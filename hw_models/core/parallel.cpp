// SPDX-License-Identifier: MIT
#include "hw_models/core/parallel.h"

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace xb {

namespace {

// A persistent pool: spawning threads per call would cost more than a 512x512 read
// (tens of microseconds), so workers sleep on a condition variable between jobs.
class Pool {
 public:
  ~Pool() { resize(1); }

  void resize(int n) {
    {
      std::unique_lock<std::mutex> lk(m_);
      stop_ = true;
      ++generation_;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
    stop_ = false;
    n_ = std::max(1, n);
    const uint64_t gen0 = generation_;  // workers start from here: no job can be missed
    for (int k = 1; k < n_; ++k) workers_.emplace_back([this, k, gen0] { loop(k, gen0); });
  }
  int size() const { return n_; }

  // Runs job(part) for part in [0, parts), part 0 on the caller; parts <= size().
  void run(int parts, const std::function<void(int)>& job) {
    {
      std::unique_lock<std::mutex> lk(m_);
      job_ = &job;
      parts_ = parts;
      pending_ = parts - 1;
      ++generation_;
    }
    cv_.notify_all();
    job(0);
    std::unique_lock<std::mutex> lk(m_);
    done_cv_.wait(lk, [this] { return pending_ == 0; });
    job_ = nullptr;
  }

 private:
  void loop(int k, uint64_t seen) {
    for (;;) {
      const std::function<void(int)>* job = nullptr;
      {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [&] { return generation_ != seen; });
        seen = generation_;
        if (stop_) return;
        if (k >= parts_) continue;
        job = job_;
      }
      (*job)(k);
      {
        std::unique_lock<std::mutex> lk(m_);
        if (--pending_ == 0) done_cv_.notify_all();
      }
    }
  }

  int n_ = 1;
  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable cv_, done_cv_;
  uint64_t generation_ = 0;
  bool stop_ = false;
  const std::function<void(int)>* job_ = nullptr;
  int parts_ = 0;
  int pending_ = 0;
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
  const std::function<void(int)> job = [&](int k) {
    run_blocks(nblocks * k / parts, nblocks * (k + 1) / parts);
  };
  pool().run(static_cast<int>(parts), job);
}

}  // namespace xb
