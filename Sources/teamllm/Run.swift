import ArgumentParser
import Foundation
import TeamLLM
import TeamLLMOpenRouter
import TeamLLMSandbox

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Launch a sweep from a manifest, or resume it where it stopped.")
    @Argument(help: "Manifest file.") var manifest: String
    @OptionGroup var paths: Paths
    @Flag(help: "No progress output.") var quiet = false
    @Option(help: "Stop scheduling after this many cells (a controlled interruption).") var stopAfter: Int?
    @Option(name: .customLong("run"), help: "Continue this existing run id (refused, listing the fields, if its manifest differs).") var runID: String?
    @Option(help: "Budget cap in USD for this session, overriding the manifest's budget_usd (recorded; raising it continues the same run).") var budgetUsd: String?
    @Option(help: "Provider calls in flight, overriding the manifest's concurrency (recorded).") var concurrency: Int?
    @Flag(help: "Give cells whose last attempt failed a new attempt (numbered on from the last).") var retryFailed = false
    @Flag(help: "Run model-written code without bubblewrap or a user switch (only prlimit), where the sandbox cannot be built; every such grade records it.") var unsafeNoSandbox = false

    func run() async throws {
        let report: SweepReport
        let stop = StopSignal()
        let signals = Interrupts.install(stop)
        defer { withExtendedLifetime(signals) {} }
        do {
            report = try await Sweep.run(manifest: URL(fileURLWithPath: manifest), options: {
                var o = try paths.options(progress: !quiet, stopAfter: stopAfter)
                o.runID = runID
                o.retryFailed = retryFailed
                o.stop = stop
                o.providerFactories[.openrouter] = OpenRouterProvider.make
                let unsafe = unsafeNoSandbox
                o.programGraders[CodeExecution().name] = { SandboxedCodeGrader(sandbox: try Sandbox(unsafe: unsafe)) }
                if let budgetUsd {
                    guard let b = USD(exactly: budgetUsd) else { throw ValidationError("--budget-usd: expected a non-negative decimal amount such as 12.50, found '\(budgetUsd)'") }
                    o.budgetUSD = b
                }
                if let concurrency {
                    guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency: expected 1 to 1024, found \(concurrency)") }
                    o.concurrency = concurrency
                }
                return o
            }())
        } catch let e as ValidationError { throw e } catch { throw fail(error) }
        for n in report.notices { FileHandle.standardError.write(Data("notice: \(n)\n".utf8)) }
        print("run \(report.folder.id): \(report.completed)/\(report.cells) cells completed, sweep \(report.sweepPhase.rawValue.uppercased()), spend $\(report.spend)")
        print("records: \(report.folder.url.path)")
        if let why = report.stoppedBy {
            print("stopped early: \(why); run the same command again to continue")
            throw ExitCode(3)
        }
    }
}

/// Ctrl-C and SIGTERM: the first stops dispatching and lets calls in flight finish for the grace period
/// (`grace_s`), the second cancels them; either way the run stays resumable.
enum Interrupts {
    static func install(_ stop: StopSignal, quiet: Bool = false) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                let first = stop.level == 0
                stop.raise()
                if quiet { return }
                let text = first
                    ? "\nstopping: no new calls; calls in flight finish and are recorded (press Ctrl-C again to cancel them now)\n"
                    : "\ncancelling calls in flight; their cells stay EXECUTING and resume next time\n"
                FileHandle.standardError.write(Data(text.utf8))
            }
            source.resume()
            return source
        }
    }
}
