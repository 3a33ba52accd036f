import HallKit

/// The complaints service: complaints about windows and staff, investigation and sanctions.
///
/// Boots through the shared runtime: checks librdkafka, reads its configuration from the
/// environment, migrates schema `complaints`, creates its topics, then serves HTTP and relays its
/// outbox until SIGTERM or SIGINT.
@main
struct ComplaintsService {
    static func main() async {
        await HallServiceMain.run(.complaints) { ComplaintsService.definition(try ComplaintsSettings()) }
    }
}
