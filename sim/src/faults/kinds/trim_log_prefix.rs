//! `trim-log-prefix` and `trim-follower-log-prefix`: arm the broker's own bug, to strike at
//! its next log flush as leader (it deletes local segments below the high watermark, which
//! retention does not allow) or as an in-sync follower (its log then starts above what
//! retention allows while it stays in the ISR). Armed at one instant; fires once. Never
//! drawn: it is a bug a scenario arms on purpose, not a fault of the world.

use korasim_core::broker::PrefixTrimRole;

use crate::faults::{Corruption, Draw, Drawn, Effect, FaultKindModule, Resolved, Shape, TargetForm};
use crate::scenario_file::FaultAction;
use crate::world::World;

pub struct TrimLogPrefix {
    name: &'static str,
    role: PrefixTrimRole,
}

pub const LEADER: TrimLogPrefix = TrimLogPrefix {
    name: "trim-log-prefix",
    role: PrefixTrimRole::Leader,
};

pub const FOLLOWER: TrimLogPrefix = TrimLogPrefix {
    name: "trim-follower-log-prefix",
    role: PrefixTrimRole::Follower,
};

impl FaultKindModule for TrimLogPrefix {
    fn name(&self) -> &'static str {
        self.name
    }

    fn shape(&self) -> Shape {
        Shape {
            target: TargetForm::Broker {
                why: "only a broker holds partition logs (\"broker-N\" or \"random-broker\")",
            },
            far_end: false,
            instantaneous: true,
            corrupts_data: true,
            not_drawn: Some((
                "it arms a bug of the broker's own, which a scenario arms on purpose",
                "use a fixed [[faults]] entry, in a scenario that expects the audit to catch it (audit_detects_within)",
            )),
        }
    }

    fn draw(&self, draw: &mut Draw<'_>) -> Drawn {
        Drawn::at(draw.broker())
    }

    fn fire(&self, world: &World, _action: &FaultAction, resolved: &Resolved) -> Effect {
        let role = self.role;
        let armed: Vec<String> = resolved
            .targets
            .iter()
            .filter(|name| world.arm_trim_log_prefix(name, role))
            .cloned()
            .collect();
        armed
            .iter()
            .for_each(|name| world.note(format!("{name}'s log-prefix trimming bug armed ({role:?})")));
        Effect {
            found_no_target: armed.is_empty(),
            corruption: Some(Corruption::PrefixTrimArmed { brokers: armed, role }),
            ..Effect::default()
        }
    }
}
