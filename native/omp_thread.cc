#include "omp_thread.h"

#include <omp.h>

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

namespace lepton {
namespace {

class Queue {
 public:
  static Queue* Get() {
    // Never destroyed: the thread waits on it until the process exits.
    static Queue* q = new Queue();
    return q;
  }

  void Run(const std::function<void()>& fn) {
    // Counted down before the caller is released, so its next call finds the thread idle.
    std::packaged_task<void()> task([this, &fn] {
      struct Done {
        Queue* q;
        ~Done() {
          std::lock_guard<std::mutex> lock(q->m_);
          q->pending_--;
        }
      } done{this};
      fn();
    });
    auto done = task.get_future();
    {
      std::lock_guard<std::mutex> lock(m_);
      pending_++;
      q_.push_back(std::move(task));
    }
    cv_.notify_one();
    done.get();
  }

  bool Idle() {
    std::lock_guard<std::mutex> lock(m_);
    return pending_ == 0;
  }

 private:
  Queue() { std::thread([this] { Loop(); }).detach(); }
  void Loop() {
    for (;;) {
      std::packaged_task<void()> task;
      {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [this] { return !q_.empty(); });
        task = std::move(q_.front());
        q_.pop_front();
      }
      task();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<void()>> q_;
  int pending_ = 0;
};

}  // namespace

void OmpThread::Run(const std::function<void()>& fn) { Queue::Get()->Run(fn); }

void OmpThread::RunIfIdle(const std::function<void()>& fn) {
  Queue* q = Queue::Get();
  if (q->Idle()) {
    q->Run(fn);
  } else {
    OneOmpThread here;
    fn();
  }
}

OneOmpThread::OneOmpThread() : saved_(omp_get_max_active_levels()) { omp_set_max_active_levels(0); }
OneOmpThread::~OneOmpThread() { omp_set_max_active_levels(saved_); }

}  // namespace lepton
