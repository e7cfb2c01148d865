//! [`openraft::AsyncRuntime`] implemented on the madsim-tokio shim.

use std::fmt;
use std::future::Future;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use openraft::async_runtime::AsyncOneshotSendExt;
use openraft::{AsyncRuntime, OptionalSend};

/// The runtime openraft runs on in this project: whatever `tokio` resolves to.
#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
pub struct ShimRuntime;

/// openraft's `Instant` trait is only implemented for the real tokio's instant; this newtype
/// carries the shim's instant (simulated time under madsim) instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ShimInstant(pub tokio::time::Instant);

impl Add<Duration> for ShimInstant {
    type Output = ShimInstant;
    fn add(self, rhs: Duration) -> ShimInstant {
        ShimInstant(self.0 + rhs)
    }
}

impl AddAssign<Duration> for ShimInstant {
    fn add_assign(&mut self, rhs: Duration) {
        self.0 += rhs;
    }
}

impl Sub<Duration> for ShimInstant {
    type Output = ShimInstant;
    fn sub(self, rhs: Duration) -> ShimInstant {
        ShimInstant(self.0 - rhs)
    }
}

impl Sub<ShimInstant> for ShimInstant {
    type Output = Duration;
    fn sub(self, rhs: ShimInstant) -> Duration {
        self.0.saturating_duration_since(rhs.0)
    }
}

impl SubAssign<Duration> for ShimInstant {
    fn sub_assign(&mut self, rhs: Duration) {
        self.0 -= rhs;
    }
}

impl openraft::Instant for ShimInstant {
    fn now() -> Self {
        ShimInstant(tokio::time::Instant::now())
    }
}

/// The error of a timed-out future.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeoutElapsed;

impl fmt::Display for TimeoutElapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for TimeoutElapsed {}

/// A future bounded by a deadline. Written by hand because madsim's `timeout` is an `async fn`
/// whose future type cannot be named in an associated type.
pub struct Timeout<T> {
    future: Pin<Box<T>>,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl<R, T: Future<Output = R>> Future for Timeout<T> {
    type Output = Result<R, TimeoutElapsed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The inner future is polled first so that work finishing exactly at the deadline wins.
        if let Poll::Ready(value) = self.future.as_mut().poll(cx) {
            return Poll::Ready(Ok(value));
        }
        match self.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(TimeoutElapsed)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A oneshot sender that openraft can use through its own extension trait.
pub struct ShimOneshotSender<T>(tokio::sync::oneshot::Sender<T>);

impl<T> fmt::Debug for ShimOneshotSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ShimOneshotSender")
    }
}

impl<T: OptionalSend> AsyncOneshotSendExt<T> for ShimOneshotSender<T> {
    fn send(self, value: T) -> Result<(), T> {
        self.0.send(value)
    }
}

/// Under madsim the thread-local generator must be madsim's, which is seeded by the run; real
/// `rand::thread_rng` would make elections non-deterministic.
#[cfg(madsim)]
type RuntimeRng = madsim::rand::GlobalRng;
#[cfg(not(madsim))]
type RuntimeRng = rand::rngs::ThreadRng;

impl AsyncRuntime for ShimRuntime {
    type JoinError = tokio::task::JoinError;
    type JoinHandle<T: OptionalSend + 'static> = tokio::task::JoinHandle<T>;
    type Sleep = tokio::time::Sleep;
    type Instant = ShimInstant;
    type TimeoutError = TimeoutElapsed;
    type Timeout<R, T: Future<Output = R> + OptionalSend> = Timeout<T>;
    type ThreadLocalRng = RuntimeRng;
    type OneshotSender<T: OptionalSend> = ShimOneshotSender<T>;
    type OneshotReceiverError = tokio::sync::oneshot::error::RecvError;
    type OneshotReceiver<T: OptionalSend> = tokio::sync::oneshot::Receiver<T>;

    fn spawn<T>(future: T) -> Self::JoinHandle<T::Output>
    where
        T: Future + OptionalSend + 'static,
        T::Output: OptionalSend + 'static,
    {
        tokio::task::spawn(future)
    }

    fn sleep(duration: Duration) -> Self::Sleep {
        tokio::time::sleep(duration)
    }

    fn sleep_until(deadline: Self::Instant) -> Self::Sleep {
        tokio::time::sleep_until(deadline.0)
    }

    fn timeout<R, F: Future<Output = R> + OptionalSend>(
        duration: Duration,
        future: F,
    ) -> Self::Timeout<R, F> {
        Timeout {
            future: Box::pin(future),
            sleep: Box::pin(tokio::time::sleep(duration)),
        }
    }

    fn timeout_at<R, F: Future<Output = R> + OptionalSend>(
        deadline: Self::Instant,
        future: F,
    ) -> Self::Timeout<R, F> {
        Timeout {
            future: Box::pin(future),
            sleep: Box::pin(tokio::time::sleep_until(deadline.0)),
        }
    }

    fn is_panic(join_error: &Self::JoinError) -> bool {
        join_error.is_panic()
    }

    fn thread_rng() -> Self::ThreadLocalRng {
        madsim::rand::thread_rng()
    }

    fn oneshot<T>() -> (Self::OneshotSender<T>, Self::OneshotReceiver<T>)
    where
        T: OptionalSend,
    {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        (ShimOneshotSender(sender), receiver)
    }
}
