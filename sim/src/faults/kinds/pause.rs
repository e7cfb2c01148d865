//! `pause`: the node's process stops (a SIGSTOP, a stop-the-world GC pause, a frozen VM) and
//! resumes when the fault ends. Unlike `kill` it loses nothing and keeps its sockets: messages
//! to it wait, and when it wakes its timers fire late and it acts on what it believed before
//! (a leader that was fenced meanwhile, a lease that expired). It silences the node, but keeps
//! every copy it holds: for the budget it touches its zone and takes no copy down.

use crate::faults::{Draw, Drawn, Effect, FaultEvent, FaultKindModule, Heal, Resolved, Shape, TargetForm};
use crate::scenario_file::FaultAction;
use crate::world::World;

pub struct Pause;

impl FaultKindModule for Pause {
    fn name(&self) -> &'static str {
        "pause"
    }

    fn shape(&self) -> Shape {
        Shape::lasting(TargetForm::Node)
    }

    fn keeps_copies(&self, _action: &FaultAction) -> bool {
        true
    }

    fn holds_copies_out_of_isr(&self) -> bool {
        true
    }

    fn draw(&self, draw: &mut Draw<'_>) -> Drawn {
        Drawn::at(draw.server())
    }

    fn fire(&self, world: &World, _action: &FaultAction, resolved: &Resolved) -> Effect {
        let paused: Vec<String> = resolved
            .targets
            .iter()
            .filter(|name| world.pause(name))
            .cloned()
            .collect();
        for name in &paused {
            world.fault(FaultEvent::FaultBegan {
                kind: self.name().to_string(),
                node: name.clone(),
                detail: String::new(),
            });
        }
        let resumed = paused.clone();
        let began_at_ms = world.elapsed().as_millis() as u64;
        Effect {
            silenced: paused.clone(),
            paused_held: paused.clone(),
            found_no_target: paused.is_empty(),
            // A node another pause still holds stays paused until that one heals; the trace
            // still says this pause ended, so the report shows when each one did.
            heal: Some(Heal::new(move |world, held| {
                for name in &resumed {
                    let still_held = held.paused.contains(name);
                    if !still_held {
                        world.resume(name);
                    }
                    world.fault(FaultEvent::FaultEnded {
                        kind: "pause".to_string(),
                        node: name.clone(),
                        began_at_ms,
                        still_held,
                    });
                }
            })),
            ..Effect::default()
        }
    }
}
