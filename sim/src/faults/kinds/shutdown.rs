//! `shutdown`: the broker is asked to shut down cleanly (a ctrl-c: a controlled shutdown
//! moves its leaderships first) and starts again when the fault ends.

use crate::faults::{Draw, Drawn, Effect, FaultKindModule, Heal, Resolved, Shape, TargetForm};
use crate::scenario_file::FaultAction;
use crate::world::World;

pub struct Shutdown;

impl FaultKindModule for Shutdown {
    fn name(&self) -> &'static str {
        "shutdown"
    }

    fn shape(&self) -> Shape {
        Shape::lasting(TargetForm::Broker {
            why: "only brokers have a controlled shutdown; use `kill` for a controller",
        })
    }

    /// A controller ignores a shutdown request the way it ignores any signal.
    fn draw(&self, draw: &mut Draw<'_>) -> Drawn {
        Drawn::at(draw.broker())
    }

    fn fire(&self, world: &World, _action: &FaultAction, resolved: &Resolved) -> Effect {
        let targets: Vec<String> = resolved
            .targets
            .iter()
            .filter(|name| !world.is_down(name))
            .cloned()
            .collect();
        targets.iter().for_each(|name| world.request_shutdown(name));
        let stopped = targets.clone();
        Effect {
            silenced: targets.clone(),
            held_down: targets.clone(),
            found_no_target: targets.is_empty(),
            heal: Some(Heal::new(move |world, held| {
                for name in stopped.iter().filter(|name| !held.nodes_down.contains(name)) {
                    world.mark_stopped(name);
                    world.restart_frozen_if_paused(name, &held.paused);
                }
            })),
            ..Effect::default()
        }
    }
}
