// A bare OSU-style MPI_Allreduce latency loop (osu_allreduce 5.x: MPI_FLOAT, MPI_SUM, a barrier,
// a warm-up of 100 calls up to 8 KiB and 10 above, then a timed loop; the time per call averaged
// over the iterations on each rank, then the maximum over ranks). Nothing of mlhpc is linked: it
// is what `mlhpc run -w allreduce` is measured against (scripts/allreduce-vs-bare.sh).
//
//   mpirun -np 2 allreduce_bare [MIN_BYTES] [MAX_BYTES] [SECONDS_PER_SIZE]
//
// prints one line per size: "bytes <S> max_us <max over ranks> avg_us <mean over ranks>". The
// iterations of each size are chosen so that the loop lasts about SECONDS_PER_SIZE (default 0.5),
// at least 10 calls, as OSU scales its iterations to the message size.
#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {
float* page_aligned(std::vector<float>& v) {
  const auto p = reinterpret_cast<std::uintptr_t>(v.data());
  return reinterpret_cast<float*>((p + 4095) / 4096 * 4096);
}
}  // namespace

int main(int argc, char** argv) {
  // ALLREDUCE_BARE_THREAD=funneled or multiple initialises at that thread level (mlhpc asks for
  // MPI_THREAD_SINGLE, and MULTIPLE with --timeout), to see what the thread level alone costs.
  const char* level = std::getenv("ALLREDUCE_BARE_THREAD");
  int provided = 0;
  if (level != nullptr && std::string(level) == "multiple")
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  else if (level != nullptr && std::string(level) == "funneled")
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  else
    MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const long long min_bytes = argc > 1 ? std::atoll(argv[1]) : 8;
  const long long max_bytes = argc > 2 ? std::atoll(argv[2]) : (64LL << 20);
  const double seconds = argc > 3 ? std::atof(argv[3]) : 0.5;
  for (long long bytes = min_bytes; bytes <= max_bytes; bytes *= 2) {
    const int count = static_cast<int>(bytes / 4);
    // Buffers of each size on fresh pages, written before use (OSU aligns its buffers to a page
    // too; mlhpc allocates per problem the same way).
    std::vector<float> send_storage(static_cast<std::size_t>(count) + 1024, 1.0f);
    std::vector<float> recv_storage(send_storage.size(), 0.0f);
    float* send = page_aligned(send_storage);
    float* recv = page_aligned(recv_storage);
    const int warmup = bytes <= 8192 ? 100 : 10;
    MPI_Barrier(MPI_COMM_WORLD);
    for (int i = 0; i < warmup; ++i)
      MPI_Allreduce(send, recv, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    // The iterations: enough for `seconds`, from ten timed calls, agreed by every rank.
    MPI_Barrier(MPI_COMM_WORLD);
    double t = MPI_Wtime();
    for (int i = 0; i < 10; ++i)
      MPI_Allreduce(send, recv, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    t = (MPI_Wtime() - t) / 10;
    long long iters = std::max(10LL, static_cast<long long>(seconds / std::max(t, 1e-9)));
    MPI_Allreduce(MPI_IN_PLACE, &iters, 1, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = MPI_Wtime();
    for (long long i = 0; i < iters; ++i)
      MPI_Allreduce(send, recv, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    const double per_call = (MPI_Wtime() - t0) / static_cast<double>(iters);
    double max = 0, sum = 0;
    MPI_Reduce(&per_call, &max, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    MPI_Reduce(&per_call, &sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    if (rank == 0)
      std::printf("bytes %lld max_us %.4f avg_us %.4f iterations %lld\n", bytes, max * 1e6,
                  sum / size * 1e6, iters);
  }
  MPI_Finalize();
  return 0;
}
