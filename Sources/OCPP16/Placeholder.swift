// Generated code goes here (Tools/codegen).
