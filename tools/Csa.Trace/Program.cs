// csa-trace: the traceability matrix of a test run. See TraceOptions.Usage and README "Traceability".
return Csa.Trace.TraceCommand.Run(args, Console.Out, Console.Error);
