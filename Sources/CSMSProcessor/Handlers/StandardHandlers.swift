public import CSMSCore
public import CoreMetrics
public import Logging
public import OCPP
import OCPP16
import OCPP201
import OCPP21

extension ActionRouter {
    /// The handlers of the walking skeleton, for every message set: BootNotification,
    /// Heartbeat and StatusNotification. Every other action a station may send is answered
    /// `NotImplemented` until its handler is registered here.
    public static var standard: ActionRouter {
        var router = ActionRouter()
        router.register(BootNotificationHandler16(), for: .v16)
        router.register(HeartbeatHandler16(), for: .v16)
        router.register(StatusNotificationHandler16(), for: .v16)
        router.register(BootNotificationHandler201(), for: .v201)
        router.register(HeartbeatHandler201(), for: .v201)
        router.register(StatusNotificationHandler201(), for: .v201)
        router.register(BootNotificationHandler21(), for: .v21)
        router.register(HeartbeatHandler21(), for: .v21)
        router.register(StatusNotificationHandler21(), for: .v21)
        router.register(DataTransferHandler16(), for: .v16)
        router.register(DataTransferHandler201(), for: .v201)
        router.register(DataTransferHandler21(), for: .v21)
        router.registerStationReports201()
        router.registerStationReports21()
        // Transactions (docs/transactions.md); one 1.6 id allocator per router.
        router.register(StartTransactionHandler16(ids: TransactionIdAllocator()), for: .v16)
        router.register(StopTransactionHandler16(), for: .v16)
        router.register(MeterValuesHandler16(), for: .v16)
        router.register(TransactionEventHandler201(), for: .v201)
        router.register(MeterValuesHandler201(), for: .v201)
        router.register(TransactionEventHandler21(), for: .v21)
        router.register(MeterValuesHandler21(), for: .v21)
        router.register(AuthorizeHandler16(), for: .v16)
        router.register(AuthorizeHandler201(), for: .v201)
        router.register(AuthorizeHandler21(), for: .v21)
        router.registerSecurityHandlers()
        return router
    }
}

extension MessageProcessor {
    /// The registries of the three message sets this CSMS serves (1.6, 2.0.1, 2.1).
    public static var standardRegistries: [ActionRegistry] { [.ocpp16, .ocpp201, .ocpp21] }

    /// A processor over `store` with every message set's registry and the standard handlers
    /// (`liveConfiguration`: see `init(store:registries:router:…)`).
    public init(
        store: any CSMSStore, configuration: ProcessorConfiguration = ProcessorConfiguration(),
        services: HandlerServices = HandlerServices(), clock: any WallClock = SystemWallClock(), logger: Logger,
        metricsFactory: any MetricsFactory = MetricsSystem.factory, messageLog: MessageLogRecorder? = nil,
        liveConfiguration: LiveValue<ProcessorConfiguration>? = nil
    ) {
        self.init(
            store: store, registries: MessageProcessor.standardRegistries, router: .standard,
            configuration: configuration, services: services, clock: clock, logger: logger,
            metricsFactory: metricsFactory, messageLog: messageLog, liveConfiguration: liveConfiguration)
    }
}
