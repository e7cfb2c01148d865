//! `crash-controllers`: every controller crashes at once (a power loss of the control plane,
//! or a careless rollout) and restarts when the fault ends. Each keeps only what it synced.
//!
//! A correct quorum loses nothing this way: Raft counts a vote or a log entry only once it is
//! on disk, so the budget counts no zone and no copy for it, and it may be drawn at random in
//! a no-loss scenario. It is the fault that finds a vote or an entry acknowledged before it
//! was synced: with one controller down at a time, the other two always hold what the crashed
//! one forgot. While it lasts there is no metadata quorum: no fencing, no election, no ISR
//! change; the expectations count their deadlines from its heal (REFERENCE section 13).

use crate::faults::{restart_unless_held, Draw, Drawn, Effect, FaultKindModule, Resolved, Shape, TargetForm};
use crate::scenario_file::{FaultAction, Target};
use crate::world::World;

pub struct CrashControllers;

impl FaultKindModule for CrashControllers {
    fn name(&self) -> &'static str {
        "crash-controllers"
    }

    fn shape(&self) -> Shape {
        Shape::lasting(TargetForm::Controller {
            why: "it crashes controllers; use `kill` for a broker, `lose-zone` for a whole zone",
        })
    }

    fn default_target(&self) -> Option<Target> {
        Some(Target::Controllers)
    }

    fn draw(&self, _draw: &mut Draw<'_>) -> Drawn {
        Drawn::at(Target::Controllers)
    }

    /// Their synced state survives by contract, which is what this fault tests.
    fn keeps_copies(&self, _action: &FaultAction) -> bool {
        true
    }

    fn fire(&self, world: &World, _action: &FaultAction, resolved: &Resolved) -> Effect {
        let targets: Vec<String> = resolved
            .targets
            .iter()
            .filter(|name| !world.is_down(name))
            .cloned()
            .collect();
        targets.iter().for_each(|name| world.kill(name));
        Effect {
            silenced: targets.clone(),
            held_down: targets.clone(),
            found_no_target: targets.is_empty(),
            heal: Some(restart_unless_held(targets)),
            ..Effect::default()
        }
    }
}
