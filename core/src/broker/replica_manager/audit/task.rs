//! The leader's periodic audit of its partitions.
//!
//! One task per broker (not one per partition or round: the simulator keeps every task ever
//! spawned). Each round walks every partition replica: it notes the local log start (so that
//! the next round can tell whether it jumped), and for each partition it leads it judges the
//! log-start rule and compares the checksums of the next stretch of committed log on every
//! in-sync replica. The stretch starts where the last round stopped and wraps to the log start
//! at the high watermark, `max_audit_bytes_per_round` at most, so that old data is checked
//! again and again, not only what was committed since the last round.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::super::partition::{Partition, Role};
use super::super::ReplicaManager;
use crate::broker::audit::checksum::range_checksum;
use crate::broker::audit::rules::{
    judge_log_start, judge_range, CorruptionReason, LogStartCause, LogStartVerdict,
};
use crate::broker::audit::AuditAnswer;
use crate::broker::data_protocol::{BrokerRequest, BrokerResponse};
use crate::metadata::BrokerId;
use crate::observe::Event;

/// What the audit task remembers of one partition between rounds.
#[derive(Debug, Default)]
pub(super) struct AuditCursor {
    /// Where the next range audit starts.
    next_offset: u64,
    /// The local log start the last round saw.
    log_start: Option<u64>,
    /// The next remote segment (by base offset) the object audit checks.
    next_object_offset: u64,
}

/// What a round does for one partition, decided under the replica lock.
enum Plan {
    Nothing,
    /// The leader convicts itself (its log start jumped).
    Convict(u64, CorruptionReason),
    /// The leader was convicted before; its report is sent again until the controller takes it.
    ReportAgain(u64),
    Compare(RangePlan),
}

/// What a leader's round found under the replica lock.
struct RangePlan {
    leader_epoch: u64,
    /// The highest local log start retention allows a follower (see `AuditChecksum`).
    allowed_log_start: u64,
    high_watermark: u64,
    isr: Vec<BrokerId>,
    own: AuditAnswer,
}

impl ReplicaManager {
    pub(in super::super) async fn audit_periodically(self: Arc<Self>) {
        let mut cursors: BTreeMap<(String, u32), AuditCursor> = BTreeMap::new();
        // Rounds start at a fixed rate, not a fixed pause after the previous round, so that a
        // partition is audited once per `audit_interval` however long a round takes.
        let mut rounds = tokio::time::interval(self.params.audit.audit_interval);
        rounds.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        rounds.tick().await;
        loop {
            rounds.tick().await;
            if !self.params.audit.enabled {
                continue;
            }
            // Buggify: an audit round started late (the broker busy): detection deadlines
            // are set to one audit period plus slack, which must cover a late round.
            if crate::buggify!() {
                tokio::time::sleep(crate::buggify::random_delay(self.params.audit.audit_interval / 4)).await;
            }
            for partition in self.all_partitions() {
                let cursor = cursors
                    .entry((partition.topic.clone(), partition.partition))
                    .or_default();
                self.audit_partition(&partition, cursor).await;
                self.remind_suspects(&partition).await;
                self.audit_remote_segments(&partition, &mut cursor.next_object_offset)
                    .await;
            }
        }
    }

    async fn audit_partition(&self, partition: &Arc<Partition>, cursor: &mut AuditCursor) {
        match self.plan_audit(partition, cursor).await {
            Plan::Nothing => {}
            Plan::Convict(leader_epoch, reason) => {
                self.convict(partition, leader_epoch, self.broker, reason).await
            }
            Plan::ReportAgain(leader_epoch) => {
                self.report_corrupt(partition, leader_epoch, self.broker).await
            }
            Plan::Compare(plan) => self.compare_range(partition, cursor, plan).await,
        }
    }

    /// Looks at the replica under its lock: notes the log start, judges the log-start rule,
    /// and computes the leader's own checksum over the next committed range.
    async fn plan_audit(&self, partition: &Partition, cursor: &mut AuditCursor) -> Plan {
        let replica = partition.replica.lock().await;
        // Read under the replica lock: local retention deletes under it, below a tiered end it
        // read before, and the tier state only grows, so this view allows at least as much
        // (read before the lock, a retention run in between would convict a healthy leader).
        let tiered_end_offset = self
            .serves_remotely(&partition.topic)
            .then(|| self.tiered_end_offset(&partition.topic, partition.partition));
        let Some(log) = replica.log.as_ref() else {
            return Plan::Nothing;
        };
        let log_start = log.log_start_offset();
        let previous = cursor.log_start.replace(log_start);
        let Role::Leader(leader) = &replica.role else {
            return Plan::Nothing;
        };
        let leader_epoch = leader.leader_epoch();
        if replica.pending_rebuild.is_some() {
            // Already convicted: the report to the controller has not been taken yet.
            return Plan::ReportAgain(leader_epoch);
        }
        if let Some(from) = previous {
            if let LogStartVerdict::Unexplained { allowed_up_to } =
                judge_log_start(from, log_start, tiered_end_offset)
            {
                self.record(Event::AuditLogStartChanged {
                    broker: self.broker,
                    topic: partition.topic.clone(),
                    partition: partition.partition,
                    from,
                    to: log_start,
                    cause: LogStartCause::Unexplained { allowed_up_to },
                });
                let reason = CorruptionReason::UnexplainedLogStartJump {
                    from,
                    to: log_start,
                    allowed_up_to,
                };
                return Plan::Convict(leader_epoch, reason);
            }
        }
        let high_watermark = leader.high_watermark();
        let mut from = cursor.next_offset.max(log_start);
        if from >= high_watermark {
            from = log_start;
        }
        if from >= high_watermark {
            return Plan::Nothing;
        }
        // Where the stretch may stop: the high watermark (wholly committed batches only).
        let own = range_checksum(
            log,
            from,
            high_watermark,
            self.params.audit.max_audit_bytes_per_round,
            self.params.audit.audit_read_chunk_bytes,
        )
        .await;
        Plan::Compare(RangePlan {
            leader_epoch,
            allowed_log_start: log_start.max(tiered_end_offset.unwrap_or(0)),
            high_watermark,
            isr: leader.isr(),
            own,
        })
    }

    /// Asks every other in-sync replica for its checksum over the range the leader covered,
    /// and convicts whoever the answers show corrupt.
    async fn compare_range(&self, partition: &Arc<Partition>, cursor: &mut AuditCursor, plan: RangePlan) {
        let range = match &plan.own {
            AuditAnswer::Checksum(range) => *range,
            AuditAnswer::Corrupt { offset, defect } => {
                let reason = CorruptionReason::BatchChecksumFailed {
                    offset: *offset,
                    defect: defect.clone(),
                };
                return self
                    .convict(partition, plan.leader_epoch, self.broker, reason)
                    .await;
            }
            // The leader's own range never misses its prefix: the log-start rule judged it.
            AuditAnswer::PrefixMissing { .. } | AuditAnswer::Unavailable(_) => {
                tracing::debug!(broker = self.broker, topic = %partition.topic, partition = partition.partition, answer = ?plan.own, "audit range unavailable; starting over from the log start");
                cursor.next_offset = 0;
                return;
            }
        };
        let mut answers = BTreeMap::new();
        answers.insert(self.broker, plan.own.clone());
        for &follower in plan.isr.iter().filter(|member| **member != self.broker) {
            let answer = self
                .ask_audit_checksum(
                    partition,
                    follower,
                    plan.leader_epoch,
                    range.from_offset..range.to_offset,
                    None,
                    plan.allowed_log_start,
                )
                .await;
            answers.insert(follower, answer);
        }
        // A round that reached the high watermark starts the next one from the log start
        // again: committed data is checked over and over, not once.
        cursor.next_offset = if range.to_offset >= plan.high_watermark {
            0
        } else {
            range.to_offset
        };
        tracing::debug!(broker = self.broker, topic = %partition.topic, partition = partition.partition, ?answers, "audit answers");
        let verdict = judge_range(&answers);
        if let Some(detail) = verdict.undecided {
            self.record(Event::AuditUndecided {
                broker: self.broker,
                topic: partition.topic.clone(),
                partition: partition.partition,
                detail,
            });
        }
        for (broker, reason) in verdict.corrupt {
            self.convict(partition, plan.leader_epoch, broker, reason).await;
        }
    }

    /// Tells every follower this leader holds out of the ISR as corrupt, again, that it is:
    /// the first word may have been lost, or the follower may have restarted and forgotten
    /// its mark, and without the mark it would never cut its log back and rejoin.
    async fn remind_suspects(&self, partition: &Partition) {
        let (leader_epoch, suspects) = {
            let replica = partition.replica.lock().await;
            let Role::Leader(leader) = &replica.role else {
                return;
            };
            if replica.suspects.is_empty() {
                return;
            }
            (leader.leader_epoch(), replica.suspects.clone())
        };
        for (suspect, keep_below) in suspects {
            self.ask_audit_checksum(
                partition,
                suspect,
                leader_epoch,
                keep_below..keep_below,
                Some(keep_below),
                // Told it is convicted, it answers nothing else.
                u64::MAX,
            )
            .await;
        }
    }

    pub(super) async fn ask_audit_checksum(
        &self,
        partition: &Partition,
        follower: BrokerId,
        leader_epoch: u64,
        range: std::ops::Range<u64>,
        convicted_below: Option<u64>,
        allowed_log_start: u64,
    ) -> AuditAnswer {
        let (Some(rpc), Some(address)) = (self.rpc(), self.address_of(follower)) else {
            return AuditAnswer::Unavailable(format!("broker {follower} cannot be reached"));
        };
        let request = BrokerRequest::AuditChecksum {
            topic: partition.topic.clone(),
            partition: partition.partition,
            leader_epoch,
            from_offset: range.start,
            to_offset: range.end,
            convicted_below,
            allowed_log_start,
        };
        match rpc
            .call::<_, BrokerResponse>(address, &request, self.params.audit.audit_request_timeout)
            .await
        {
            Ok(BrokerResponse::AuditChecksum(answer)) => answer,
            other => AuditAnswer::Unavailable(format!("no usable answer from broker {follower}: {other:?}")),
        }
    }

    pub(super) fn tiered_end_offset(&self, topic: &str, partition: u32) -> u64 {
        self.tiering()
            .map(|tiering| tiering.partition_state(topic, partition).tiered_end_offset())
            .unwrap_or(0)
    }
}
