/// Member decoders for the generated payload types (Tools/codegen): one call per schema
/// property.
///
/// Each looks up `key` in `object`, records `missingRequired` when a required member is absent,
/// and checks a present value with the matching checker, with the path including `key`
/// meanwhile. They keep the thousands of generated `decode(_:_:)` functions to a list of calls,
/// which compile much faster than inlined checkers: the non-generic ones are compiled once,
/// here; the generic ones are `@inlinable` so that they are specialized for each type (runtime
/// as fast as inlined code) but `@inline(never)`, so that the optimizer does not copy them into
/// every generated decoder.
extension DecodingContext {
    /// A string member within `minLength`/`maxLength`.
    public mutating func string(
        _ object: JSONObject, _ key: String, required: Bool, minLength: Int? = nil, maxLength: Int? = nil
    ) -> String? {
        field(object, key, required: required) { $0.string($1, minLength: minLength, maxLength: maxLength) }
    }

    /// A `date-time` member.
    public mutating func dateTime(_ object: JSONObject, _ key: String, required: Bool) -> OCPPDateTime? {
        field(object, key, required: required) { $0.dateTime($1) }
    }

    /// An integer member within `minimum`/`maximum` (see ``integer(_:minimum:maximum:allowsIntegralFraction:)``).
    public mutating func integer(
        _ object: JSONObject, _ key: String, required: Bool, minimum: Double? = nil, maximum: Double? = nil,
        allowsIntegralFraction: Bool
    ) -> Int? {
        field(object, key, required: required) {
            $0.integer($1, minimum: minimum, maximum: maximum, allowsIntegralFraction: allowsIntegralFraction)
        }
    }

    /// A number member within `minimum`/`maximum` and a multiple of `multipleOf`.
    public mutating func number(
        _ object: JSONObject, _ key: String, required: Bool, minimum: Double? = nil, maximum: Double? = nil,
        multipleOf: Double? = nil
    ) -> Double? {
        field(object, key, required: required) {
            $0.number($1, minimum: minimum, maximum: maximum, multipleOf: multipleOf)
        }
    }

    /// A boolean member.
    public mutating func boolean(_ object: JSONObject, _ key: String, required: Bool) -> Bool? {
        field(object, key, required: required) { $0.boolean($1) }
    }

    /// A member of any JSON type (a schema property without a type).
    public mutating func any(_ object: JSONObject, _ key: String, required: Bool) -> JSONValue? {
        field(object, key, required: required) { $0.any($1) }
    }

    /// A member of the string enumeration `E`.
    @inlinable @inline(never)
    public mutating func enumeration<E: OCPPEnum>(
        _ object: JSONObject, _ key: String, required: Bool, _ type: E.Type
    ) -> E? {
        field(object, key, required: required) { $0.enumeration($1, type) }
    }

    /// An object member decoded as the payload type `P`.
    @inlinable @inline(never)
    public mutating func payload<P: OCPPPayload>(
        _ object: JSONObject, _ key: String, required: Bool, _ type: P.Type
    ) -> P? {
        field(object, key, required: required) { P.decode($1, &$0) }
    }

    /// An array member within `minItems`/`maxItems` whose elements decode with `element`.
    @inlinable @inline(never)
    public mutating func array<T>(
        _ object: JSONObject, _ key: String, required: Bool, minItems: Int? = nil, maxItems: Int? = nil,
        _ element: (inout DecodingContext, JSONValue) -> T?
    ) -> [T]? {
        field(object, key, required: required) { $0.array($1, minItems: minItems, maxItems: maxItems, element) }
    }

    /// `value` decoded as the payload type `P` (an array element).
    @inlinable @inline(never)
    public mutating func payload<P: OCPPPayload>(_ value: JSONValue, _ type: P.Type) -> P? {
        P.decode(value, &self)
    }
}
