//! What the leader of one partition knows about its followers, and what follows from it:
//! the high watermark (HW), when an `acks=all` append may be acknowledged, and which
//! followers should leave or join the in-sync replica set (ISR).
//!
//! Kafka semantics (`kafka.cluster.Partition`, `Replica`), with this project's rules from
//! KORA.md:
//!
//! - HW = min log end offset over the committed ISR, the leader's own log end included, and
//!   over the followers outside the ISR that are caught up and may join it (not fenced, not
//!   kept out). It never moves backwards on the leader. Waiting for such a follower is what
//!   lets it join: it joins once its log end reaches the HW, and a HW that ran ahead with
//!   the leader's log end under steady writes would stay out of its reach for good (Kafka's
//!   `maybeIncrementLeaderHW`, `PartitionTest.testHighWatermarkIncreasesWithFencedOrShutdownFollower`).
//! - **The HW does not advance while the ISR has fewer than `min_insync_replicas` members**
//!   (KORA.md; Kafka itself lets it advance and answers `NOT_ENOUGH_REPLICAS_AFTER_APPEND`).
//!   So every offset below the HW was on at least `min_insync_replicas` replicas.
//! - ISR changes are proposed to the controller (AlterPartition) and take effect only when
//!   the controller's decision comes back through [`LeaderState::apply_partition_state`].
//!   While a change is in flight the HW keeps using the committed ISR: a member being
//!   removed still counts until its removal is committed, and a member being added does not
//!   count until its addition is committed. (This is the shrink half of KIP-497's "maximal
//!   ISR"; the expansion half is deliberately not used.)

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::params::ReplicationParams;
use crate::metadata::BrokerId;

/// What the leader knows about one follower, from its fetches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowerState {
    /// The follower's log end offset: the offset of its last fetch. `None` until it fetches
    /// from this leader.
    pub log_end_offset: Option<u64>,
    /// The last time the follower was known to be caught up with the leader's log end.
    /// `None` if never (Kafka: 0).
    pub last_caught_up_time: Option<Duration>,
    /// The time of its last fetch, and the leader's log end offset at that time.
    pub last_fetch_time: Option<Duration>,
    pub last_fetch_leader_log_end_offset: Option<u64>,
}

/// Whether an `acks=all` append whose last offset is `last_offset` can be acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// The HW is past `last_offset`: every ISR member has the batch, and (by the freeze
    /// rule) the ISR had at least `min_insync_replicas` members when the HW passed it.
    Done,
    /// Not yet replicated to every ISR member.
    Wait,
    /// Kafka's `NOT_ENOUGH_REPLICAS_AFTER_APPEND`: the batch is in the leader's log but the
    /// ISR shrank below `min_insync_replicas` while the producer was waiting, so the HW is
    /// frozen and cannot reach it until the ISR grows again. The producer should retry
    /// (the idempotent producer makes the retry safe). See
    /// [`LeaderState::not_enough_replicas_after_append`].
    NotEnoughReplicas,
}

/// Kafka's `NOT_ENOUGH_REPLICAS`: an `acks=all` append refused before it is written, because
/// the ISR is below `min_insync_replicas`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotEnoughReplicas {
    pub isr_size: usize,
    pub min_insync_replicas: usize,
}

/// A follower fetch the leader cannot record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchError {
    /// The fetcher is not a follower replica of this partition (or is the leader itself).
    UnknownReplica(BrokerId),
    /// Kafka's `OFFSET_OUT_OF_RANGE`: the follower claims more than the leader has.
    OffsetOutOfRange {
        fetch_offset: u64,
        leader_log_end_offset: u64,
    },
}

/// An ISR proposal the leader refuses to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IsrChangeError {
    /// Another AlterPartition is still in flight; Kafka sends one at a time.
    InFlight,
    /// A proposed ISR must contain the leader.
    DropsLeader,
    /// A proposed ISR member is not a replica of the partition.
    NotAReplica(BrokerId),
    /// The proposal equals the committed ISR.
    Unchanged,
}

/// An AlterPartition sent to the controller and not yet answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingIsrChange {
    /// The ISR proposed, sorted.
    pub proposed_isr: Vec<BrokerId>,
    /// The partition epoch the proposal is based on (the controller rejects stale ones).
    pub partition_epoch: u64,
}

/// The leader-side replication state of one partition.
#[derive(Debug, Clone)]
pub struct LeaderState {
    leader: BrokerId,
    leader_epoch: u64,
    partition_epoch: u64,
    replicas: Vec<BrokerId>,
    /// The committed ISR (as last applied from the controller).
    isr: BTreeSet<BrokerId>,
    pending: Option<PendingIsrChange>,
    followers: BTreeMap<BrokerId, FollowerState>,
    leader_log_end_offset: u64,
    /// The leader's log end when it became leader: the start offset of its epoch. A follower
    /// joins the ISR only once it has reached it (Kafka: `leaderEpochStartOffsetOpt`).
    leader_epoch_start_offset: u64,
    high_watermark: u64,
    params: ReplicationParams,
}

impl LeaderState {
    /// The state of a broker that just became leader at `now` with `log_end_offset`.
    /// Followers in the ISR count as caught up at `now` (as in Kafka); their log end is
    /// unknown until they fetch, so the HW starts at 0 (see [`Self::with_high_watermark`])
    /// and cannot advance before every ISR follower has fetched (unless a leader re-elected
    /// without a break carries their progress over: [`Self::with_follower_progress_of`]).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        leader: BrokerId,
        leader_epoch: u64,
        partition_epoch: u64,
        replicas: Vec<BrokerId>,
        isr: Vec<BrokerId>,
        log_end_offset: u64,
        now: Duration,
        params: ReplicationParams,
    ) -> Self {
        let isr: BTreeSet<BrokerId> = isr.into_iter().collect();
        let followers = replicas
            .iter()
            .filter(|&&r| r != leader)
            .map(|&r| {
                let state = FollowerState {
                    last_caught_up_time: isr.contains(&r).then_some(now),
                    ..FollowerState::default()
                };
                (r, state)
            })
            .collect();
        LeaderState {
            leader,
            leader_epoch,
            partition_epoch,
            replicas,
            isr,
            pending: None,
            followers,
            leader_log_end_offset: log_end_offset,
            leader_epoch_start_offset: log_end_offset,
            high_watermark: 0,
            params,
        }
    }

    /// Starts from a known HW (the leader's checkpointed one), capped at its log end.
    pub fn with_high_watermark(mut self, high_watermark: u64) -> Self {
        self.high_watermark = high_watermark.min(self.leader_log_end_offset);
        self
    }

    /// Carries the followers' progress over from `previous`, this broker's state as leader
    /// of the epoch before, when it is re-elected at `now` without having stopped leading
    /// (Kafka's `Replica.resetReplicaState` with `isNewLeader = false`).
    ///
    /// Each follower's log end offset is kept: its log still holds what it fetched from this
    /// same leader, so the HW need not wait for every ISR follower to fetch again. As in
    /// Kafka, its last fetch is taken to have happened now, against the leader's log end at
    /// re-election, for an ISR member, and never for the others (so that a follower outside
    /// the ISR rejoins only after a fetch in the new epoch). A broker that was not leading
    /// just before starts from [`Self::new`]'s unknown offsets instead.
    pub fn with_follower_progress_of(mut self, previous: &LeaderState, now: Duration) -> Self {
        if previous.leader != self.leader {
            return self;
        }
        for (follower, state) in &mut self.followers {
            let Some(log_end_offset) = previous.follower_log_end_offset(*follower) else {
                continue;
            };
            state.log_end_offset = Some(log_end_offset);
            state.last_fetch_leader_log_end_offset = Some(self.leader_epoch_start_offset);
            state.last_fetch_time = self.isr.contains(follower).then_some(now);
        }
        self
    }

    pub fn leader(&self) -> BrokerId {
        self.leader
    }

    pub fn leader_epoch(&self) -> u64 {
        self.leader_epoch
    }

    pub fn partition_epoch(&self) -> u64 {
        self.partition_epoch
    }

    pub fn replicas(&self) -> &[BrokerId] {
        &self.replicas
    }

    /// The committed ISR, sorted.
    pub fn isr(&self) -> Vec<BrokerId> {
        self.isr.iter().copied().collect()
    }

    pub fn params(&self) -> &ReplicationParams {
        &self.params
    }

    pub fn leader_log_end_offset(&self) -> u64 {
        self.leader_log_end_offset
    }

    pub fn follower(&self, follower: BrokerId) -> Option<&FollowerState> {
        self.followers.get(&follower)
    }

    pub fn follower_log_end_offset(&self, follower: BrokerId) -> Option<u64> {
        self.followers.get(&follower)?.log_end_offset
    }

    pub fn last_caught_up_time(&self, follower: BrokerId) -> Option<Duration> {
        self.followers.get(&follower)?.last_caught_up_time
    }

    pub fn pending_isr_change(&self) -> Option<&PendingIsrChange> {
        self.pending.as_ref()
    }

    /// Records a follower's fetch at `fetch_offset` (its log end), answered at `now` when
    /// the leader's log end was `leader_log_end_offset`. Kafka's `updateFetchState`: the
    /// follower is caught up at `now` if `fetch_offset >= leader_log_end_offset`; otherwise,
    /// if it reached the leader's log end as of its previous fetch, it was caught up at the
    /// time of that fetch. Does not move the HW: call [`Self::maybe_advance_high_watermark`].
    pub fn record_follower_fetch(
        &mut self,
        follower: BrokerId,
        fetch_offset: u64,
        leader_log_end_offset: u64,
        now: Duration,
    ) -> Result<(), FetchError> {
        let state = self
            .followers
            .get_mut(&follower)
            .ok_or(FetchError::UnknownReplica(follower))?;
        if fetch_offset > leader_log_end_offset {
            return Err(FetchError::OffsetOutOfRange {
                fetch_offset,
                leader_log_end_offset,
            });
        }
        self.leader_log_end_offset = self.leader_log_end_offset.max(leader_log_end_offset);
        let caught_up_at = if fetch_offset >= leader_log_end_offset {
            Some(now)
        } else {
            match (state.last_fetch_leader_log_end_offset, state.last_fetch_time) {
                (Some(previous_leader_end), Some(previous_time)) if fetch_offset >= previous_leader_end => {
                    Some(previous_time)
                }
                _ => None,
            }
        };
        if let Some(t) = caught_up_at {
            state.last_caught_up_time = Some(state.last_caught_up_time.map_or(t, |old| old.max(t)));
        }
        state.log_end_offset = Some(fetch_offset);
        state.last_fetch_time = Some(now);
        state.last_fetch_leader_log_end_offset = Some(leader_log_end_offset);
        Ok(())
    }

    /// The high watermark: min log end over the committed ISR (leader included) and the
    /// caught-up followers that may join it, never decreasing, and frozen while the ISR is
    /// below `min_insync_replicas`.
    pub fn high_watermark(&self) -> u64 {
        self.high_watermark
    }

    /// Notes the leader's log end and moves the HW up, at `now`, to the min log end over
    /// the committed ISR and over the followers outside it that are caught up and not in
    /// `isr_ineligible` (fenced or otherwise kept out of the ISR), if that is higher.
    /// Returns the new HW when it moved.
    ///
    /// **Rule (KORA.md): the HW does not advance while the committed ISR has fewer than
    /// `min_insync_replicas` members.** It never moves backwards either, whatever the ISR.
    pub fn maybe_advance_high_watermark(
        &mut self,
        leader_log_end_offset: u64,
        now: Duration,
        isr_ineligible: &BTreeSet<BrokerId>,
    ) -> Option<u64> {
        self.leader_log_end_offset = self.leader_log_end_offset.max(leader_log_end_offset);
        if self.is_under_min_isr() {
            return None;
        }
        let mut candidate = self.leader_log_end_offset;
        for (follower, state) in &self.followers {
            let in_isr = self.isr.contains(follower);
            let may_join = !isr_ineligible.contains(follower) && self.is_caught_up(state, now);
            if !in_isr && !may_join {
                continue;
            }
            // A follower the HW waits for but whose log end is unknown blocks it, as in Kafka
            // (an ISR member that has not fetched from this leader yet).
            let end = state.log_end_offset?;
            candidate = candidate.min(end);
        }
        (candidate > self.high_watermark).then(|| {
            let isr_log_ends = self
                .followers
                .iter()
                .filter(|(follower, _)| self.isr.contains(follower))
                .filter_map(|(_, state)| state.log_end_offset);
            crate::invariant!(
                candidate <= self.leader_log_end_offset && isr_log_ends.clone().all(|end| candidate <= end),
                "high watermark {candidate} above the leader's log end {} or an ISR member's {:?}",
                self.leader_log_end_offset,
                isr_log_ends.collect::<Vec<_>>()
            );
            self.high_watermark = candidate;
            candidate
        })
    }

    /// Kafka's `isCaughtUp`: the follower has the leader's whole log, or it was caught up
    /// with the leader's log end no longer than `replica_lag_max` ago.
    fn is_caught_up(&self, state: &FollowerState, now: Duration) -> bool {
        state.log_end_offset == Some(self.leader_log_end_offset)
            || state
                .last_caught_up_time
                .is_some_and(|t| now.saturating_sub(t) <= self.params.replica_lag_max)
    }

    /// Whether the committed ISR has fewer than `min_insync_replicas` members.
    pub fn is_under_min_isr(&self) -> bool {
        self.isr.len() < self.params.min_insync_replicas
    }

    /// `acks=all`, before appending: Kafka answers `NOT_ENOUGH_REPLICAS` (and writes nothing)
    /// while the ISR is below `min_insync_replicas`.
    pub fn check_before_append(&self) -> Result<(), NotEnoughReplicas> {
        if self.is_under_min_isr() {
            Err(NotEnoughReplicas {
                isr_size: self.isr.len(),
                min_insync_replicas: self.params.min_insync_replicas,
            })
        } else {
            Ok(())
        }
    }

    /// Kafka's `NOT_ENOUGH_REPLICAS_AFTER_APPEND`: the batch ending at `last_offset` was
    /// appended but is not yet below the HW, and the ISR has since shrunk below
    /// `min_insync_replicas`, so the (frozen) HW cannot reach it until the ISR grows again.
    pub fn not_enough_replicas_after_append(&self, last_offset: u64) -> bool {
        self.high_watermark <= last_offset && self.is_under_min_isr()
    }

    /// Whether an `acks=all` append whose last offset is `last_offset` can be acknowledged:
    /// `Done` once the HW is past it, `NotEnoughReplicas` if not and the ISR is below min ISR
    /// (see [`Self::not_enough_replicas_after_append`]), `Wait` otherwise.
    pub fn append_can_complete(&self, last_offset: u64) -> Completion {
        if self.high_watermark > last_offset {
            Completion::Done
        } else if self.not_enough_replicas_after_append(last_offset) {
            Completion::NotEnoughReplicas
        } else {
            Completion::Wait
        }
    }

    /// ISR followers that should leave the ISR at `now` (Kafka's `getOutOfSyncReplicas`):
    /// not caught up for longer than `replica_lag_max`, i.e.
    /// `now - last_caught_up_time > replica_lag_max`, unless their log end equals the
    /// leader's (nothing to replicate). A slow follower that keeps reaching the leader's log
    /// end stays. Never contains the leader. Sorted.
    pub fn followers_to_remove(&self, now: Duration) -> Vec<BrokerId> {
        self.isr
            .iter()
            .copied()
            .filter(|&member| member != self.leader)
            .filter(|member| {
                self.followers
                    .get(member)
                    .is_none_or(|state| !self.is_caught_up(state, now))
            })
            .collect()
    }

    /// Replicas outside the ISR that may join it (Kafka's `isFollowerInSync`): their log end
    /// has reached the HW and the start offset of the leader's epoch, and they are not in
    /// `fenced` (brokers the controller has fenced). Sorted.
    pub fn followers_to_add(&self, fenced: &BTreeSet<BrokerId>) -> Vec<BrokerId> {
        self.followers
            .iter()
            .filter(|(id, _)| !self.isr.contains(id) && !fenced.contains(id))
            .filter(|(_, state)| {
                // A follower must have fetched from this leader epoch (a re-elected leader
                // keeps log end offsets, not fetches: see `with_follower_progress_of`).
                state.last_fetch_time.is_some()
                    && state.log_end_offset.is_some_and(|end| {
                        end >= self.high_watermark && end >= self.leader_epoch_start_offset
                    })
            })
            .map(|(&id, _)| id)
            .collect()
    }

    /// The ISR this leader would propose now: the committed ISR without
    /// [`Self::followers_to_remove`] and with [`Self::followers_to_add`]; `None` if that is
    /// the committed ISR. Always contains the leader.
    pub fn proposed_isr(&self, now: Duration, fenced: &BTreeSet<BrokerId>) -> Option<Vec<BrokerId>> {
        let remove: BTreeSet<BrokerId> = self.followers_to_remove(now).into_iter().collect();
        let mut proposed: BTreeSet<BrokerId> = self.isr.difference(&remove).copied().collect();
        proposed.extend(self.followers_to_add(fenced));
        proposed.insert(self.leader);
        (proposed != self.isr).then(|| proposed.into_iter().collect())
    }

    /// Marks an AlterPartition proposing `isr` as sent. The HW keeps using the committed ISR
    /// until [`Self::apply_partition_state`] brings the controller's decision.
    pub fn begin_isr_change(&mut self, isr: Vec<BrokerId>) -> Result<PendingIsrChange, IsrChangeError> {
        if self.pending.is_some() {
            return Err(IsrChangeError::InFlight);
        }
        let proposed: BTreeSet<BrokerId> = isr.into_iter().collect();
        if !proposed.contains(&self.leader) {
            return Err(IsrChangeError::DropsLeader);
        }
        if let Some(&stranger) = proposed.iter().find(|r| !self.replicas.contains(r)) {
            return Err(IsrChangeError::NotAReplica(stranger));
        }
        if proposed == self.isr {
            return Err(IsrChangeError::Unchanged);
        }
        let change = PendingIsrChange {
            proposed_isr: proposed.into_iter().collect(),
            partition_epoch: self.partition_epoch,
        };
        self.pending = Some(change.clone());
        Ok(change)
    }

    /// Forgets an in-flight AlterPartition that the controller rejected or that timed out.
    pub fn abort_isr_change(&mut self) {
        self.pending = None;
    }

    /// Applies the ISR committed by the controller at `partition_epoch` and ends any
    /// in-flight change. Stale states (epoch not newer than the current one) are ignored;
    /// returns whether it was applied. The HW does not move here (it never decreases; after a
    /// shrink it may now advance: call [`Self::maybe_advance_high_watermark`]).
    pub fn apply_partition_state(&mut self, isr: Vec<BrokerId>, partition_epoch: u64) -> bool {
        if partition_epoch <= self.partition_epoch {
            return false;
        }
        self.isr = isr.into_iter().collect();
        self.partition_epoch = partition_epoch;
        self.pending = None;
        true
    }
}
