// SPDX-License-Identifier: MIT
#include "sim/sweep/sweep_mpi.h"

#include <cstdlib>
#include <string>

#ifdef XB_HAVE_MPI
#include <mpi.h>
#endif

namespace xb::sim {

namespace {

int env_int(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : 0;
}

}  // namespace

bool MpiSession::launched_with_ranks() {
  // OpenMPI's mpirun sets OMPI_COMM_WORLD_SIZE; MPICH/Hydra and Slurm's PMI set PMI_SIZE.
  return env_int("OMPI_COMM_WORLD_SIZE") > 1 || env_int("PMI_SIZE") > 1;
}

MpiSession::MpiSession() {
#ifdef XB_HAVE_MPI
  if (std::getenv("OMPI_COMM_WORLD_SIZE") == nullptr && std::getenv("PMI_SIZE") == nullptr)
    return;
  int provided = 0;
  // Worker threads run points; only the main thread calls MPI.
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  active_ = true;
#endif
}

MpiSession::~MpiSession() {
#ifdef XB_HAVE_MPI
  if (active_) MPI_Finalize();
#endif
}

void MpiSession::barrier() const {
#ifdef XB_HAVE_MPI
  if (active_) MPI_Barrier(MPI_COMM_WORLD);
#endif
}

int MpiSession::broadcast(int value) const {
#ifdef XB_HAVE_MPI
  if (active_) MPI_Bcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD);
#endif
  return value;
}

int MpiSession::max_over_ranks(int value) const {
#ifdef XB_HAVE_MPI
  if (active_) {
    int out = value;
    MPI_Allreduce(&value, &out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return out;
  }
#endif
  return value;
}

}  // namespace xb::sim
