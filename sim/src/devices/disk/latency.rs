//! How long each disk operation takes in simulated time.
//!
//! Every operation costs a fixed base, plus a random tail drawn from an exponential
//! distribution (most operations are quick, a few are much slower, as on a real device),
//! plus a transfer cost proportional to the bytes moved. The whole is then multiplied by the
//! disk's current latency multiplier, which is how a slow disk is simulated.

use std::time::Duration;

use korasim_core::storage::DiskOperation;
use rand::Rng;

const MEBIBYTE_BYTES: f64 = 1024.0 * 1024.0;

/// The latency of one kind of operation, in microseconds of simulated time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OperationLatency {
    /// Paid by every operation of this kind.
    pub base_us: u64,
    /// Mean of the exponential tail added on top of the base; zero for no tail.
    pub tail_mean_us: u64,
    /// The tail is cut off here so that one unlucky draw cannot stall a node for seconds;
    /// stalls are a fault of their own.
    pub tail_max_us: u64,
    /// Cost of moving one mebibyte, for the operations that move data (append and read).
    pub transfer_per_mebibyte_us: u64,
}

impl OperationLatency {
    /// An operation that takes no simulated time at all.
    pub const ZERO: OperationLatency = OperationLatency {
        base_us: 0,
        tail_mean_us: 0,
        tail_max_us: 0,
        transfer_per_mebibyte_us: 0,
    };

    /// An operation that always takes exactly `base_us`, whatever its size.
    pub const fn fixed(base_us: u64) -> OperationLatency {
        OperationLatency {
            base_us,
            tail_mean_us: 0,
            tail_max_us: 0,
            transfer_per_mebibyte_us: 0,
        }
    }

    /// Draws one latency in microseconds. The random number generator is only used when
    /// there is a tail, so that a disk without tails draws nothing and leaves the stream of
    /// random numbers to the faults.
    fn sample_us<R: Rng + ?Sized>(&self, transfer_bytes: u64, rng: &mut R) -> f64 {
        let tail_us = if self.tail_mean_us > 0 && self.tail_max_us > 0 {
            // Inverse transform sampling: for uniform u in [0, 1), -mean * ln(1 - u) is
            // exponentially distributed with that mean.
            let uniform: f64 = rng.gen();
            (-(self.tail_mean_us as f64) * (1.0 - uniform).ln()).min(self.tail_max_us as f64)
        } else {
            0.0
        };
        let transfer_us = self.transfer_per_mebibyte_us as f64 * transfer_bytes as f64 / MEBIBYTE_BYTES;
        self.base_us as f64 + tail_us + transfer_us
    }
}

/// The latency of every kind of disk operation. The default resembles a datacenter NVMe
/// drive: appends land in 50 to 200 microseconds, a sync takes 0.5 to 2 milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskLatencyProfile {
    pub append: OperationLatency,
    pub read: OperationLatency,
    pub sync: OperationLatency,
    pub truncate: OperationLatency,
    pub list: OperationLatency,
    pub delete: OperationLatency,
    pub length: OperationLatency,
}

impl DiskLatencyProfile {
    /// Every operation completes without simulated time passing; for unit tests.
    pub const ZERO: DiskLatencyProfile = DiskLatencyProfile::uniform(OperationLatency::ZERO);

    /// The same latency for every kind of operation.
    pub const fn uniform(latency: OperationLatency) -> DiskLatencyProfile {
        DiskLatencyProfile {
            append: latency,
            read: latency,
            sync: latency,
            truncate: latency,
            list: latency,
            delete: latency,
            length: latency,
        }
    }

    pub fn for_operation(&self, operation: DiskOperation) -> &OperationLatency {
        match operation {
            DiskOperation::Append => &self.append,
            DiskOperation::Read => &self.read,
            DiskOperation::Sync => &self.sync,
            DiskOperation::Truncate => &self.truncate,
            DiskOperation::List => &self.list,
            DiskOperation::Delete => &self.delete,
            DiskOperation::Length => &self.length,
        }
    }

    /// Draws the latency of one operation that moves `transfer_bytes`, scaled by
    /// `latency_multiplier`.
    pub(super) fn sample<R: Rng + ?Sized>(
        &self,
        operation: DiskOperation,
        transfer_bytes: u64,
        latency_multiplier: f64,
        rng: &mut R,
    ) -> Duration {
        let latency_us = self.for_operation(operation).sample_us(transfer_bytes, rng) * latency_multiplier;
        Duration::from_nanos((latency_us * 1000.0).round() as u64)
    }
}

impl Default for DiskLatencyProfile {
    fn default() -> Self {
        DiskLatencyProfile {
            append: OperationLatency {
                base_us: 50,
                tail_mean_us: 30,
                tail_max_us: 150,
                transfer_per_mebibyte_us: 500,
            },
            read: OperationLatency {
                base_us: 80,
                tail_mean_us: 20,
                tail_max_us: 120,
                transfer_per_mebibyte_us: 300,
            },
            sync: OperationLatency {
                base_us: 500,
                tail_mean_us: 300,
                tail_max_us: 1500,
                transfer_per_mebibyte_us: 0,
            },
            truncate: OperationLatency {
                base_us: 50,
                tail_mean_us: 30,
                tail_max_us: 150,
                transfer_per_mebibyte_us: 0,
            },
            list: OperationLatency {
                base_us: 20,
                tail_mean_us: 10,
                tail_max_us: 80,
                transfer_per_mebibyte_us: 0,
            },
            delete: OperationLatency {
                base_us: 100,
                tail_mean_us: 50,
                tail_max_us: 400,
                transfer_per_mebibyte_us: 0,
            },
            length: OperationLatency {
                base_us: 5,
                tail_mean_us: 2,
                tail_max_us: 20,
                transfer_per_mebibyte_us: 0,
            },
        }
    }
}
