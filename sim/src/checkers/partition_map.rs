//! Per-partition state for checkers, found without allocating the topic's name on every
//! lookup (checkers see every trace entry).

use std::collections::BTreeMap;

#[derive(Debug)]
pub(crate) struct PartitionMap<T> {
    topics: BTreeMap<String, BTreeMap<u32, T>>,
}

impl<T> Default for PartitionMap<T> {
    fn default() -> Self {
        Self {
            topics: BTreeMap::new(),
        }
    }
}

impl<T: Default> PartitionMap<T> {
    pub fn entry(&mut self, topic: &str, partition: u32) -> &mut T {
        if !self.topics.contains_key(topic) {
            self.topics.insert(topic.to_string(), BTreeMap::new());
        }
        self.topics
            .get_mut(topic)
            .expect("the topic was just inserted")
            .entry(partition)
            .or_default()
    }
}

impl<T> PartitionMap<T> {
    pub fn get(&self, topic: &str, partition: u32) -> Option<&T> {
        self.topics.get(topic)?.get(&partition)
    }

    pub fn get_mut(&mut self, topic: &str, partition: u32) -> Option<&mut T> {
        self.topics.get_mut(topic)?.get_mut(&partition)
    }
}
