import HallContracts
import HallKit

/// The complaints service's consumer (group `hall.complaints`): the directory from `hall.intake.events`.
///
/// Everything is applied through the inbox (a redelivered event changes nothing); intake events
/// the service does not route are ignored.
enum ComplaintsConsumer {
    static func definition() -> ConsumerDefinition {
        var router = EventRouter()
        DirectoryProjection.register(on: &router)
        return ConsumerDefinition(groupId: ServiceName.complaints.defaultConsumerGroup, topics: [.intakeEvents], handler: router)
    }
}
