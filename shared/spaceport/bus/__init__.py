"""The message bus: one protocol, a RabbitMQ adapter and an in-memory adapter."""

from spaceport.bus.memory import MemoryBus
from spaceport.bus.protocol import Bus, Delivery, DeliveryHandler, QueueSpec, Subscription
from spaceport.bus.routing import topic_matches

__all__ = ["Bus", "Delivery", "DeliveryHandler", "MemoryBus", "QueueSpec", "Subscription", "topic_matches"]
