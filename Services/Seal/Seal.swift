import HallKit

/// The seal service: each department's approval-specific seal, its register and public verification.
///
/// Boots through the shared runtime: checks librdkafka, reads its configuration from the
/// environment, migrates schema `seal`, creates its topics, then serves HTTP and relays its
/// outbox until SIGTERM or SIGINT.
@main
struct SealService {
    static func main() async {
        await HallServiceMain.run(SealService.definition)
    }
}
