//! `partition`: traffic from `target` to `to` is dropped, and back unless `one_way`. `to` may
//! be `"clients"`: the broker loses its external network while the cluster still hears it
//! (what the degradation detector must demote).

use rand::Rng;

use crate::faults::{
    Draw, Drawn, Effect, FaultKindModule, Heal, ParamValue, ParamValues, Resolved, Shape, TargetForm,
};
use crate::scenario_file::{FaultAction, FaultKeys, ScenarioError, Target};
use crate::world::World;

pub struct Partition;

fn to_clients_only(action: &FaultAction) -> bool {
    action.to == Some(Target::Clients)
}

impl FaultKindModule for Partition {
    fn name(&self) -> &'static str {
        "partition"
    }

    fn shape(&self) -> Shape {
        Shape {
            far_end: true,
            ..Shape::lasting(TargetForm::Node)
        }
    }

    fn keys(&self, keys: &mut FaultKeys) -> Result<(), ScenarioError> {
        keys.flag("one_way", false).map(|_| ())
    }

    /// Half the time a broker loses its external network (clients cannot reach it, the
    /// cluster still can); otherwise a one-way cut between two servers (one hears the other
    /// but is not heard back).
    fn draw(&self, draw: &mut Draw<'_>) -> Drawn {
        if draw.random.gen_bool(0.5) {
            Drawn {
                target: draw.broker(),
                to: Some(Target::Clients),
                params: ParamValues::default().with("one_way", ParamValue::Flag(false)),
            }
        } else {
            let (from, to) = draw.two_servers();
            Drawn {
                target: from,
                to: Some(to),
                params: ParamValues::default().with("one_way", ParamValue::Flag(true)),
            }
        }
    }

    /// A broker cut off from the clients only, or a one-way cut, keeps every copy it holds up
    /// to date: the cluster still reaches it.
    fn keeps_copies(&self, action: &FaultAction) -> bool {
        action.params.flag("one_way") || to_clients_only(action)
    }

    fn cuts_off(&self) -> bool {
        true
    }

    fn degrades_broker(&self, action: &FaultAction) -> bool {
        to_clients_only(action)
    }

    fn fire(&self, world: &World, action: &FaultAction, resolved: &Resolved) -> Effect {
        let from: Vec<&str> = resolved.targets.iter().map(String::as_str).collect();
        let to: Vec<&str> = resolved.others.iter().map(String::as_str).collect();
        let one_way = action.params.flag("one_way");
        let cut = world.partition(&from, &to, one_way);
        let mut degraded_links = Vec::new();
        for a in &from {
            for b in &to {
                degraded_links.push((a.to_string(), b.to_string(), None));
                if !one_way {
                    degraded_links.push((b.to_string(), a.to_string(), None));
                }
            }
        }
        // A one-way cut silences nobody for certain; a two-way cut silences the first side
        // towards the second, unless the second is only the clients: nothing should fence a
        // broker that lost only its external network.
        let silenced = if one_way || to_clients_only(action) {
            Vec::new()
        } else {
            resolved.targets.clone()
        };
        Effect {
            silenced,
            degraded_links,
            found_no_target: cut.links.is_empty(),
            heal: Some(Heal::new(move |world, _| world.reconnect(&cut))),
            ..Effect::default()
        }
    }
}
