// The one thread that runs the engine's multi-threaded OpenMP work (XGBoost's fits, predictions
// and model I/O; libtorch's fits and k-means), whichever thread asked for it.
//
// Why: libgomp counts every OpenMP thread of the process, and each thread that starts OpenMP
// work gets a team of its own, kept for the thread's life. Once the teams' threads outnumber
// the cores, every barrier in the process sleeps instead of spinning, and XGBoost's many short
// parallel regions each pay a futex wake-up. Measured on 2 cores: XGBoost fits on whichever
// libuv thread was free, scikit-learn's digits (10 classes, 536 rounds, nthread 2): the first
// fit 1.3 s, every later one 4.1–4.3 s, against 0.78–0.80 s each on one thread; a 2-thread CNN
// fit on a libuv thread, then XGBoost fits (286 × 40 rows, 200 rounds, nthread 2): 0.024 s per
// fit before it, 0.18–0.21 s after. On one thread there is one team, resized as each job asks.
#pragma once
#include <functional>

namespace lepton {

class OmpThread {
 public:
  // Runs `fn` on the thread and waits for it; its exception is rethrown here. Jobs queue behind
  // each other (they would only compete for the same cores).
  static void Run(const std::function<void()>& fn);
  // Runs `fn` on the thread if nothing is queued or running there, else on the calling thread
  // with OpenMP held to one thread (OneOmpThread): for short work that must not wait behind a
  // fit (serving a prediction while a model trains).
  static void RunIfIdle(const std::function<void()>& fn);
};

// Holds OpenMP regions started on this thread to one thread while in scope (max-active-levels is
// a per-thread setting), so the thread starts no team.
class OneOmpThread {
 public:
  OneOmpThread();
  ~OneOmpThread();
  OneOmpThread(const OneOmpThread&) = delete;
  OneOmpThread& operator=(const OneOmpThread&) = delete;

 private:
  int saved_;
};

}  // namespace lepton
