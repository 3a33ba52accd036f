import HallKit

/// The appraisal service: ratings, rectification, performance and periodic appraisal.
///
/// Boots through the shared runtime: checks librdkafka, reads its configuration from the
/// environment, migrates schema `appraisal`, creates its topics, then serves HTTP and relays its
/// outbox until SIGTERM or SIGINT.
@main
struct AppraisalService {
    static func main() async {
        await HallServiceMain.run(.appraisal) { AppraisalService.definition(try AppraisalSettings()) }
    }
}
