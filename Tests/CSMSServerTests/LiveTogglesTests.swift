import CSMSCore
import CSMSExternalAuth
import CSMSProcessor
import CSMSTesting
import Foundation
import Logging
import OCPP
import Testing

@testable import CSMSServer

/// Settings that parts of the server hold themselves and that follow a reload through
/// `LiveSettings.observe` or a live switch: the DataTransfer echo vendor and the webhook's
/// request timeout (docs/configuration.md, "Reload").
@Suite("Live toggles")
struct LiveTogglesTests {
    @Test func theEchoVendorAnswersOnlyWhileItsLiveSettingIsOn() async throws {
        let live = LiveSettings(ServerConfiguration())
        var services = HandlerServices()
        services.dataTransferVendors = DataTransferVendors([
            SwitchableDataTransferVendor(EchoDataTransferVendor()) { live.current.dataTransferEchoVendor }
        ])
        let processor = MessageProcessor(
            store: InMemoryStore(), configuration: ProcessorConfiguration(unknownChargePoints: .accept),
            services: services, logger: Logger(label: "t"))
        let session = StationSession(chargePointId: ChargePointID("CP-ECHO")!, version: .v16)
        func send(_ frame: String) async throws -> JSONValue {
            guard case .reply(let bytes) = await processor.handle(Array(frame.utf8), session: session),
                case .callResult(let result) = try RPCFrame.decode(bytes, version: .v16)
            else { throw CancellationError() }
            return result.payload
        }
        _ = try await send(#"[2,"b","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]"#)
        let transfer = #"{"vendorId":"org.swift-csms.echo","messageId":"echo","data":"hi"}"#
        #expect(try await send(#"[2,"d1","DataTransfer",\#(transfer)]"#)["status"] == "UnknownVendorId")

        var on = live.current
        on.dataTransferEchoVendor = true
        live.apply(on)
        let echoed = try await send(#"[2,"d2","DataTransfer",\#(transfer)]"#)
        #expect(echoed["status"] == "Accepted")
        #expect(echoed["data"] == "hi")
    }

    private func request(_ id: String, type: String? = "ISO14443") -> AuthorizationRequest {
        AuthorizationRequest(
            chargePointId: ChargePointID("CP-AUTH")!, token: AuthorizationToken(id: id, type: type), at: Date())
    }

    @Test func theAuthorizerFollowsPolicyAndWebhookChanges() async throws {
        var settings = AuthorizationSettings()
        let authorizer = LiveAuthorizer(settings: settings, store: InMemoryStore(), logger: Logger(label: "t"))
        #expect(await authorizer.authorize(request("UNKNOWN")).status == .invalid)
        #expect(await authorizer.authorize(request("", type: "NoAuthorization")).status == .invalid)
        #expect(authorizer.webhook == nil)

        settings.allowNoAuthorization = true
        // A webhook that refuses connections: its answer is the configured default status.
        settings.externalURL = URL(string: "http://127.0.0.1:1/authorize")
        settings.defaultStatus = .accepted
        authorizer.apply(settings)
        #expect(await authorizer.authorize(request("", type: "NoAuthorization")).status == .accepted)
        #expect(await authorizer.authorize(request("UNKNOWN")).status == .accepted, "the webhook's fallback")
        let first = try #require(authorizer.webhook)

        settings.externalTimeout = .milliseconds(300)
        authorizer.apply(settings)
        #expect(authorizer.webhook === first, "only the timeout changed: the same webhook")
        #expect(first.timeout == .milliseconds(300))

        settings.breakerThreshold = 9
        authorizer.apply(settings)
        let second = try #require(authorizer.webhook)
        #expect(second !== first, "another webhook setting: a new webhook with a fresh breaker")

        settings.externalURL = nil
        authorizer.apply(settings)
        #expect(authorizer.webhook == nil)
        #expect(await authorizer.authorize(request("UNKNOWN")).status == .invalid, "no external authorizer any more")
        await authorizer.shutdown()
    }

    @Test func theWebhookTimeoutFollowsTheAppliedSettings() async throws {
        var configuration = ServerConfiguration()
        configuration.authorization.externalURL = URL(string: "http://127.0.0.1:9/authorize")
        let live = LiveSettings(configuration)
        let (_, webhook) = configuration.authorization.makeAuthorizer(
            store: InMemoryStore(), logger: Logger(label: "t"))
        let authorizer = try #require(webhook)
        live.observe { authorizer.updateTimeout($0.authorization.externalTimeout) }
        #expect(authorizer.timeout == .seconds(2))
        configuration.authorization.externalTimeout = .milliseconds(150)
        live.apply(configuration)
        #expect(authorizer.timeout == .milliseconds(150))
        try await authorizer.shutdown()
    }
}
