//! Metadata images for unit tests: registered, unfenced brokers spread over zones.

use super::image::MetadataImage;
use super::leadership::unfence_broker;
use super::records::{BrokerId, MetadataRecord};

/// `broker_count` brokers, registered with epoch = id and unfenced, broker `b` in zone
/// `az-<(b - 1) % zone_count + 1>`. Offsets run from 1, two per broker.
pub(crate) fn unfenced_brokers(broker_count: u32, zone_count: u32) -> MetadataImage {
    let mut image = MetadataImage::default();
    let mut offset = 0;
    for broker in 1..=broker_count {
        let register = MetadataRecord::RegisterBroker {
            broker,
            epoch: broker as u64,
            zone: format!("az-{}", (broker - 1) % zone_count + 1),
            address: address(broker),
        };
        offset += 1;
        image.apply_batch(offset, &[register]).unwrap();
        offset += 1;
        image
            .apply_batch(offset, &unfence_broker(&image, broker))
            .unwrap();
    }
    image
}

fn address(broker: BrokerId) -> crate::net::Address {
    format!("10.0.0.{broker}:9092").parse().unwrap()
}
