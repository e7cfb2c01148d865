//! `slow-link`: messages from `target` to `to` take `delay` longer (default 2 s). Every copy
//! stays up to date, only late: the budget counts the zone, not a node.

use std::time::Duration;

use crate::faults::{
    Draw, Drawn, Effect, FaultKindModule, Heal, ParamValue, ParamValues, Resolved, Shape, TargetForm,
};
use crate::scenario_file::{FaultAction, FaultKeys, ScenarioError};
use crate::world::World;

pub struct SlowLink;

const DEFAULT_DELAY: Duration = Duration::from_secs(2);

impl FaultKindModule for SlowLink {
    fn name(&self) -> &'static str {
        "slow-link"
    }

    fn shape(&self) -> Shape {
        Shape {
            far_end: true,
            ..Shape::lasting(TargetForm::Node)
        }
    }

    fn keys(&self, keys: &mut FaultKeys) -> Result<(), ScenarioError> {
        keys.duration(
            "delay",
            DEFAULT_DELAY,
            |_| true,
            "a duration",
            "e.g. delay = \"2s\"",
        )
        .map(|_| ())
    }

    fn random_keys(&self, keys: &mut FaultKeys) -> Result<(), ScenarioError> {
        keys.duration(
            "slow_link_delay",
            DEFAULT_DELAY,
            |_| true,
            "a duration",
            "e.g. slow_link_delay = \"2s\"",
        )
        .map(|_| ())
    }

    fn draw(&self, draw: &mut Draw<'_>) -> Drawn {
        let (from, to) = draw.two_servers();
        Drawn {
            target: from,
            to: Some(to),
            params: ParamValues::default().with(
                "delay",
                ParamValue::Duration(draw.params.duration("slow_link_delay")),
            ),
        }
    }

    fn keeps_copies(&self, _action: &FaultAction) -> bool {
        true
    }

    fn fire(&self, world: &World, action: &FaultAction, resolved: &Resolved) -> Effect {
        let delay = action.params.duration("delay");
        let mut pairs = Vec::new();
        for from in &resolved.targets {
            for to in &resolved.others {
                world.slow_link(from, to, delay);
                pairs.push((from.clone(), to.clone()));
            }
        }
        Effect {
            found_no_target: pairs.is_empty(),
            degraded_links: pairs
                .iter()
                .map(|(from, to)| (from.clone(), to.clone(), Some(delay)))
                .collect(),
            heal: Some(Heal::new(move |world, _| {
                for (from, to) in &pairs {
                    world.restore_link(from, to, delay);
                }
            })),
            ..Effect::default()
        }
    }
}
