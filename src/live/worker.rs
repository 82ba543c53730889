//! The thread that owns a session's connection. Every round trip runs there, so that planlint
//! can wait for its answer against a deadline of its own (only the server enforces
//! `statement_timeout`); one thread for the whole session, rather than one per round trip,
//! whose start and end cost more than a loopback round trip. Jobs are queued: the thread goes
//! from one to the next while the caller reads the answers before, and the EXPLAINs queued
//! together are pipelined (see [`Connection::pipelined`]).

use std::panic::resume_unwind;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::connection::{Answer, Connection, Exchange};

/// The most EXPLAINs pipelined together: their answers are held until read.
const PIPELINE_DEPTH: usize = 32;

/// A piece of work for the connection.
enum Job {
    /// Work that has the connection to itself.
    Alone(Box<dyn FnOnce(&mut Connection) + Send>),
    /// An EXPLAIN's transaction, pipelined with those queued right after it.
    Exchange(Exchange, mpsc::Sender<Answer>),
}

/// Why a job gave no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NoAnswer {
    /// The deadline passed: the connection is given up to the thread, still waiting on it.
    TimedOut,
    /// It was given up before.
    GivenUp,
}

/// The connection's thread.
pub(super) struct Worker {
    /// `None` once the connection was given up.
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    /// Whether the connection is closed, as of the last job.
    closed: Arc<AtomicBool>,
    /// Set when the connection is given up: the jobs still queued then never run.
    given_up: Arc<AtomicBool>,
}

/// A job sent to the connection's thread, whose answer is still to be waited for: the jobs
/// queued behind one another run back to back, while this thread does other work.
pub(super) struct Pending<T> {
    answer: mpsc::Receiver<T>,
}

impl Worker {
    /// Starts the thread that owns `client`.
    pub(super) fn start(client: Connection) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let closed = Arc::new(AtomicBool::new(client.is_closed()));
        let given_up = Arc::new(AtomicBool::new(false));
        let thread = {
            let (closed, given_up) = (Arc::clone(&closed), Arc::clone(&given_up));
            std::thread::spawn(move || serve(client, &queue, &closed, &given_up))
        };
        Self {
            jobs: Some(jobs),
            thread: Some(thread),
            closed,
            given_up,
        }
    }

    /// Runs `work` on the connection and waits for its answer at most `deadline` (forever
    /// without one). Past it, the connection is given up. A panic of `work` goes on here, as if
    /// it had run on this thread.
    pub(super) fn run<T, F>(&mut self, deadline: Option<Duration>, work: F) -> Result<T, NoAnswer>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> T + Send + 'static,
    {
        let pending = self.submit(work)?;
        self.wait(pending, deadline)
    }

    /// Queues `work` for the connection, behind the jobs sent before it, without waiting.
    pub(super) fn submit<T, F>(&mut self, work: F) -> Result<Pending<T>, NoAnswer>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> T + Send + 'static,
    {
        let (sender, answer) = mpsc::channel();
        let closed = Arc::clone(&self.closed);
        // The connection's state is recorded before the answer goes out, so that whoever reads
        // the answer also sees whether the connection survived it.
        self.queue(Job::Alone(Box::new(move |client| {
            let value = work(client);
            closed.store(client.is_closed(), Ordering::Release);
            let _ = sender.send(value);
        })))?;
        Ok(Pending { answer })
    }

    /// Queues an EXPLAIN's transaction, without waiting: it is pipelined with those queued
    /// right before and after it.
    pub(super) fn submit_exchange(
        &mut self,
        exchange: Exchange,
    ) -> Result<Pending<Answer>, NoAnswer> {
        let (sender, answer) = mpsc::channel();
        self.queue(Job::Exchange(exchange, sender))?;
        Ok(Pending { answer })
    }

    /// Puts `job` on the connection's queue.
    fn queue(&mut self, job: Job) -> Result<(), NoAnswer> {
        let jobs = self.jobs.as_ref().ok_or(NoAnswer::GivenUp)?;
        if jobs.send(job).is_err() {
            return Err(self.died());
        }
        Ok(())
    }

    /// Waits for the answer of a queued job at most `deadline` from now (forever without one):
    /// the jobs before it have answered by then, so it is its own time. Past it, the
    /// connection is given up.
    pub(super) fn wait<T>(
        &mut self,
        pending: Pending<T>,
        deadline: Option<Duration>,
    ) -> Result<T, NoAnswer> {
        if self.jobs.is_none() {
            return Err(NoAnswer::GivenUp);
        }
        let answer = match deadline {
            Some(deadline) => pending.answer.recv_timeout(deadline),
            None => pending.answer.recv().map_err(RecvTimeoutError::from),
        };
        match answer {
            Ok(value) => Ok(value),
            Err(RecvTimeoutError::Timeout) => {
                self.jobs = None;
                self.given_up.store(true, Ordering::Release);
                Err(NoAnswer::TimedOut)
            }
            Err(RecvTimeoutError::Disconnected) => Err(self.died()),
        }
    }

    /// Whether nothing more can be sent: the connection was given up, or is closed.
    pub(super) fn is_closed(&self) -> bool {
        self.jobs.is_none() || self.closed.load(Ordering::Acquire)
    }

    /// The thread ended without an answer: it panicked, and the panic goes on here.
    fn died(&mut self) -> NoAnswer {
        self.jobs = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Err(panic)) => resume_unwind(panic),
            _ => NoAnswer::GivenUp,
        }
    }
}

/// The connection's thread: runs the jobs in the order they come, the EXPLAINs that wait in
/// the queue together pipelined, until the session ends. Once the connection is given up, what
/// is still queued is dropped unrun.
fn serve(
    mut client: Connection,
    queue: &mpsc::Receiver<Job>,
    closed: &AtomicBool,
    given_up: &AtomicBool,
) {
    let mut next = None;
    while let Some(job) = next.take().or_else(|| queue.recv().ok()) {
        if given_up.load(Ordering::Acquire) {
            return;
        }
        match job {
            Job::Alone(work) => work(&mut client),
            Job::Exchange(exchange, sender) => {
                let (mut exchanges, mut senders) = (vec![exchange], vec![sender]);
                while exchanges.len() < PIPELINE_DEPTH {
                    match queue.try_recv() {
                        Ok(Job::Exchange(exchange, sender)) => {
                            exchanges.push(exchange);
                            senders.push(sender);
                        }
                        Ok(other) => {
                            next = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                client.pipelined(&exchanges, |index, answer, is_closed| {
                    closed.store(is_closed, Ordering::Release);
                    let _ = senders[index].send(answer);
                });
            }
        }
    }
}

impl Drop for Worker {
    /// Ends the thread, which closes the connection politely, unless it was given up: then it
    /// is left to its thread, still waiting on the server.
    fn drop(&mut self) {
        if self.jobs.take().is_some() {
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
        }
    }
}
