import HallKit

/// The intake service: the front-desk comprehensive window (catalogue, guides, applications, issuance).
///
/// Boots through the shared runtime: checks librdkafka, reads its configuration from the
/// environment, migrates schema `intake`, creates its topics, then serves HTTP and relays its
/// outbox until SIGTERM or SIGINT.
@main
struct IntakeService {
    static func main() async {
        await HallServiceMain.run(.intake) { IntakeService.definition(try IntakeSettings()) }
    }
}
