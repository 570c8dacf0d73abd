// SPDX-License-Identifier: MIT
// The few MPI calls a sweep needs, behind a class that is a one-process no-op when xbarsim is
// built without MPI (no XB_HAVE_MPI) or not started by mpirun. MPI is initialised only when
// the launcher's environment says so, because a singleton MPI_Init can stall in containers.
#pragma once

namespace xb::sim {

class MpiSession {
 public:
  MpiSession();
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool active() const { return active_; }

  void barrier() const;
  // Rank 0's value, on every rank.
  int broadcast(int value) const;
  // The largest value over the ranks, on every rank.
  int max_over_ranks(int value) const;

  // True when the environment shows a launcher with more than one rank (whether or not this
  // build can use it).
  static bool launched_with_ranks();

 private:
  int rank_ = 0;
  int size_ = 1;
  bool active_ = false;
};

}  // namespace xb::sim
