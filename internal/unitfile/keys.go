package unitfile

import (
	"slices"
	"strings"
)

// words splits a whitespace-separated list of names; it keeps the tables
// below readable.
func words(lists ...string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, strings.Fields(l)...)
	}
	return out
}

func set(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// conditions are the Condition*= and Assert*= checks of systemd.unit(5).
var conditions = `Architecture Firmware Virtualization Host KernelCommandLine
	KernelVersion Credential Environment Security Capability ACPower NeedsUpdate
	FirstBoot PathExists PathExistsGlob PathIsDirectory PathIsSymbolicLink
	PathIsMountPoint PathIsReadWrite PathIsEncrypted DirectoryNotEmpty
	FileNotEmpty FileIsExecutable User Group ControlGroupController Memory
	CPUs CPUFeature OSRelease MemoryPressure CPUPressure IOPressure Version`

func prefixed(prefix, names string) string {
	var b strings.Builder
	for _, n := range strings.Fields(names) {
		b.WriteString(prefix + n + " ")
	}
	return b.String()
}

// unitKeys are the [Unit] keys of systemd.unit(5), with a few old spellings
// systemd still accepts.
var unitKeys = words(`Description Documentation Wants Requires Requisite
	BindsTo PartOf Upholds Conflicts Before After OnFailure OnSuccess
	PropagatesReloadTo ReloadPropagatedFrom PropagatesStopTo StopPropagatedFrom
	JoinsNamespaceOf RequiresMountsFor WantsMountsFor OnFailureJobMode
	IgnoreOnIsolate StopWhenUnneeded RefuseManualStart RefuseManualStop
	AllowIsolate DefaultDependencies SurviveFinalKillSignal CollectMode
	FailureAction SuccessAction FailureActionExitStatus SuccessActionExitStatus
	JobTimeoutSec JobRunningTimeoutSec JobTimeoutAction JobTimeoutRebootArgument
	StartLimitIntervalSec StartLimitBurst StartLimitAction RebootArgument
	SourcePath
	BindTo OnFailureIsolate PropagateReloadTo PropagateReloadFrom`,
	prefixed("Condition", conditions), prefixed("Assert", conditions))

// installKeys are the [Install] keys of systemd.unit(5).
var installKeys = words(`Alias WantedBy RequiredBy UpheldBy Also DefaultInstance`)

// serviceOwnKeys are the keys of systemd.service(5) proper.
var serviceOwnKeys = words(`Type ExitType RemainAfterExit GuessMainPID PIDFile
	BusName ExecStart ExecStartPre ExecStartPost ExecCondition ExecReload
	ExecStop ExecStopPost RestartSec RestartSteps RestartMaxDelaySec
	TimeoutStartSec TimeoutStopSec TimeoutAbortSec TimeoutSec
	TimeoutStartFailureMode TimeoutStopFailureMode RuntimeMaxSec
	RuntimeRandomizedExtraSec WatchdogSec Restart RestartMode
	SuccessExitStatus RestartPreventExitStatus RestartForceExitStatus
	RootDirectoryStartOnly NonBlocking NotifyAccess Sockets
	FileDescriptorStoreMax FileDescriptorStorePreserve USBFunctionDescriptors
	USBFunctionStrings OOMPolicy OpenFile ReloadSignal PermissionsStartOnly
	StartLimitInterval StartLimitBurst StartLimitAction FailureAction
	RebootArgument`)

// execKeys are the settings of systemd.exec(5), shared by services, sockets,
// mounts and swaps.
var execKeys = words(`ExecSearchPath WorkingDirectory RootDirectory RootImage
	RootImageOptions RootEphemeral RootHash RootHashSignature RootVerity
	RootImagePolicy MountImagePolicy ExtensionImagePolicy MountAPIVFS
	BindLogSockets ProtectProc ProcSubset BindPaths BindReadOnlyPaths
	MountImages ExtensionImages ExtensionDirectories
	User Group DynamicUser SupplementaryGroups SetLoginEnvironment PAMName
	CapabilityBoundingSet AmbientCapabilities NoNewPrivileges SecureBits
	SELinuxContext AppArmorProfile SmackProcessLabel
	LimitCPU LimitFSIZE LimitDATA LimitSTACK LimitCORE LimitRSS LimitNOFILE
	LimitAS LimitNPROC LimitMEMLOCK LimitLOCKS LimitSIGPENDING LimitMSGQUEUE
	LimitNICE LimitRTPRIO LimitRTTIME
	UMask CoredumpFilter KeyringMode OOMScoreAdjust TimerSlackNSec Personality
	IgnoreSIGPIPE Nice CPUSchedulingPolicy CPUSchedulingPriority
	CPUSchedulingResetOnFork CPUAffinity NUMAPolicy NUMAMask
	IOSchedulingClass IOSchedulingPriority
	ProtectSystem ProtectHome RuntimeDirectory StateDirectory CacheDirectory
	LogsDirectory ConfigurationDirectory RuntimeDirectoryMode
	StateDirectoryMode CacheDirectoryMode LogsDirectoryMode
	ConfigurationDirectoryMode RuntimeDirectoryPreserve TimeoutCleanSec
	ReadWritePaths ReadOnlyPaths InaccessiblePaths ExecPaths NoExecPaths
	ReadWriteDirectories ReadOnlyDirectories InaccessibleDirectories
	TemporaryFileSystem PrivateTmp PrivateDevices PrivateNetwork
	NetworkNamespacePath PrivateIPC IPCNamespacePath MemoryKSM PrivateUsers
	PrivatePIDs ProtectHostname ProtectClock ProtectKernelTunables
	ProtectKernelModules ProtectKernelLogs ProtectControlGroups
	RestrictAddressFamilies RestrictFileSystems RestrictNamespaces
	DelegateNamespaces LockPersonality MemoryDenyWriteExecute RestrictRealtime
	RestrictSUIDSGID RemoveIPC PrivateMounts MountFlags
	SystemCallFilter SystemCallErrorNumber SystemCallArchitectures
	SystemCallLog
	Environment EnvironmentFile PassEnvironment UnsetEnvironment
	StandardInput StandardOutput StandardError StandardInputText
	StandardInputData LogLevelMax LogExtraFields LogRateLimitIntervalSec
	LogRateLimitBurst LogFilterPatterns LogNamespace SyslogIdentifier
	SyslogFacility SyslogLevel SyslogLevelPrefix TTYPath TTYReset TTYVHangup
	TTYColumns TTYRows TTYVTDisallocate
	LoadCredential LoadCredentialEncrypted ImportCredential SetCredential
	SetCredentialEncrypted UtmpIdentifier UtmpMode`)

// killKeys are the settings of systemd.kill(5).
var killKeys = words(`KillMode KillSignal RestartKillSignal SendSIGHUP
	SendSIGKILL FinalKillSignal WatchdogSignal`)

// cgroupKeys are the settings of systemd.resource-control(5), with the
// deprecated cgroup v1 ones systemd still parses.
var cgroupKeys = words(`CPUAccounting CPUWeight StartupCPUWeight CPUQuota
	CPUQuotaPeriodSec AllowedCPUs StartupAllowedCPUs AllowedMemoryNodes
	StartupAllowedMemoryNodes MemoryAccounting MemoryMin MemoryLow
	StartupMemoryLow DefaultStartupMemoryLow DefaultMemoryMin
	DefaultMemoryLow MemoryHigh StartupMemoryHigh MemoryMax StartupMemoryMax
	MemorySwapMax StartupMemorySwapMax MemoryZSwapMax StartupMemoryZSwapMax
	MemoryZSwapWriteback TasksAccounting TasksMax IOAccounting IOWeight
	StartupIOWeight IODeviceWeight IOReadBandwidthMax IOWriteBandwidthMax
	IOReadIOPSMax IOWriteIOPSMax IODeviceLatencyTargetSec IPAccounting
	IPAddressAllow IPAddressDeny SocketBindAllow SocketBindDeny
	RestrictNetworkInterfaces NFTSet IPIngressFilterPath IPEgressFilterPath
	BPFProgram DeviceAllow DevicePolicy Slice Delegate DelegateSubgroup
	DisableControllers ManagedOOMSwap ManagedOOMMemoryPressure
	ManagedOOMMemoryPressureLimit ManagedOOMPreference MemoryPressureWatch
	MemoryPressureThresholdSec CoredumpReceive
	CPUShares StartupCPUShares MemoryLimit BlockIOAccounting BlockIOWeight
	StartupBlockIOWeight BlockIODeviceWeight BlockIOReadBandwidth
	BlockIOWriteBandwidth`)

// socketOwnKeys are the keys of systemd.socket(5) proper.
var socketOwnKeys = words(`ListenStream ListenDatagram ListenSequentialPacket
	ListenFIFO ListenSpecial ListenNetlink ListenMessageQueue
	ListenUSBFunction SocketProtocol BindIPv6Only Backlog BindToDevice
	SocketUser SocketGroup SocketMode DirectoryMode Accept Writable
	FlushPending MaxConnections MaxConnectionsPerSource KeepAlive
	KeepAliveTimeSec KeepAliveIntervalSec KeepAliveProbes NoDelay Priority
	DeferAcceptSec ReceiveBuffer SendBuffer IPTOS IPTTL Mark ReusePort
	SmackLabel SmackLabelIPIn SmackLabelIPOut SELinuxContextFromNet PipeSize
	MessageQueueMaxMessages MessageQueueMessageSize FreeBind Transparent
	Broadcast PassCredentials PassSecurity PassPacketInfo PassPIDFD
	AcceptFileDescriptors Timestamping TCPCongestion ExecStartPre
	ExecStartPost ExecStopPre ExecStopPost TimeoutSec Service RemoveOnStop
	Symlinks FileDescriptorName TriggerLimitIntervalSec TriggerLimitBurst
	PollLimitIntervalSec PollLimitBurst PassFileDescriptorsToExec
	DeferTrigger DeferTriggerMaxSec`)

// timerKeys are the keys of systemd.timer(5).
var timerKeys = words(`OnActiveSec OnBootSec OnStartupSec OnUnitActiveSec
	OnUnitInactiveSec OnCalendar AccuracySec RandomizedDelaySec
	RandomizedOffsetSec FixedRandomDelay DeferReactivation OnClockChange
	OnTimezoneChange Unit Persistent WakeSystem RemainAfterElapse`)

// sectionKeys maps the sections whose keys Lint checks to their known keys.
var sectionKeys = map[string][]string{
	"Unit":    unitKeys,
	"Install": installKeys,
	"Service": slices.Concat(serviceOwnKeys, execKeys, killKeys, cgroupKeys),
	"Socket":  slices.Concat(socketOwnKeys, execKeys, killKeys, cgroupKeys),
	"Timer":   timerKeys,
}

// sectionKeySet is sectionKeys as sets, for lookups.
var sectionKeySet = func() map[string]map[string]bool {
	m := make(map[string]map[string]bool, len(sectionKeys))
	for s, ks := range sectionKeys {
		m[s] = set(ks)
	}
	return m
}()

// checkedSections is the order in which a misplaced key's home is searched.
var checkedSections = []string{"Unit", "Service", "Install", "Socket", "Timer"}

// knownSections are the sections of all unit types.
var knownSections = []string{"Unit", "Install", "Service", "Socket", "Timer",
	"Mount", "Automount", "Path", "Swap", "Slice", "Scope"}

// kindSection is the type-specific section of each unit type ("" for types
// that have none).
var kindSection = map[string]string{
	"service": "Service", "socket": "Socket", "timer": "Timer",
	"mount": "Mount", "automount": "Automount", "path": "Path",
	"swap": "Swap", "slice": "Slice", "scope": "Scope",
	"target": "", "device": "",
}

// execCommandKeys are the settings whose value is a command line.
var execCommandKeys = set(words(`ExecStart ExecStartPre ExecStartPost
	ExecCondition ExecReload ExecStop ExecStopPost ExecStopPre`))

// boolKeys are boolean settings; the value lists extra words some of them
// accept besides a systemd boolean.
var boolKeys = map[string][]string{
	// [Unit]
	"DefaultDependencies": nil, "StopWhenUnneeded": nil, "RefuseManualStart": nil,
	"RefuseManualStop": nil, "AllowIsolate": nil, "IgnoreOnIsolate": nil,
	"SurviveFinalKillSignal": nil,
	// [Service]
	"RemainAfterExit": nil, "GuessMainPID": nil, "RootDirectoryStartOnly": nil,
	"NonBlocking": nil, "PermissionsStartOnly": nil,
	// systemd.exec(5)
	"NoNewPrivileges": nil, "DynamicUser": nil, "PrivateDevices": nil,
	"PrivateNetwork": nil, "PrivateIPC": nil, "PrivateMounts": nil,
	"RemoveIPC": nil, "ProtectClock": nil, "ProtectKernelTunables": nil,
	"ProtectKernelModules": nil, "ProtectKernelLogs": nil,
	"RestrictRealtime": nil, "RestrictSUIDSGID": nil, "LockPersonality": nil,
	"MemoryDenyWriteExecute": nil, "MountAPIVFS": nil, "IgnoreSIGPIPE": nil,
	"TTYReset": nil, "TTYVHangup": nil, "TTYVTDisallocate": nil,
	"SyslogLevelPrefix": nil, "CPUSchedulingResetOnFork": nil,
	"PrivateTmp":           {"disconnected"},
	"PrivateUsers":         {"self", "identity", "managed"},
	"ProtectSystem":        {"strict", "full"},
	"ProtectHome":          {"read-only", "tmpfs"},
	"ProtectHostname":      {"private"},
	"ProtectControlGroups": {"private", "strict"},
	// systemd.kill(5), systemd.resource-control(5)
	"SendSIGHUP": nil, "SendSIGKILL": nil, "CPUAccounting": nil,
	"MemoryAccounting": nil, "TasksAccounting": nil, "IOAccounting": nil,
	"IPAccounting": nil, "BlockIOAccounting": nil,
	// [Socket]
	"Accept": nil, "Writable": nil, "FlushPending": nil, "KeepAlive": nil,
	"NoDelay": nil, "FreeBind": nil, "Transparent": nil, "Broadcast": nil,
	"PassCredentials": nil, "PassSecurity": nil, "PassPacketInfo": nil,
	"ReusePort": nil, "RemoveOnStop": nil, "SELinuxContextFromNet": nil,
	// [Timer]
	"Persistent": nil, "WakeSystem": nil, "RemainAfterElapse": nil,
	"OnClockChange": nil, "OnTimezoneChange": nil, "FixedRandomDelay": nil,
}

// timespanKeys are settings whose value is a time span (systemd.time(7)).
var timespanKeys = set(words(`RestartSec RestartMaxDelaySec TimeoutStartSec
	TimeoutStopSec TimeoutAbortSec TimeoutSec WatchdogSec RuntimeMaxSec
	RuntimeRandomizedExtraSec TimeoutCleanSec JobTimeoutSec
	JobRunningTimeoutSec StartLimitIntervalSec StartLimitInterval
	OnActiveSec OnBootSec OnStartupSec OnUnitActiveSec OnUnitInactiveSec
	AccuracySec RandomizedDelaySec RandomizedOffsetSec DeferAcceptSec
	KeepAliveTimeSec KeepAliveIntervalSec TriggerLimitIntervalSec
	PollLimitIntervalSec CPUQuotaPeriodSec LogRateLimitIntervalSec`))

// serviceTypes are the values of Type=.
var serviceTypes = words(`simple exec forking oneshot dbus notify notify-reload idle`)

// restartValues are the values of Restart=.
var restartValues = words(`no on-success on-failure on-abnormal on-watchdog on-abort always`)

// absSpecifiers are the specifiers that expand to an absolute path, so
// "%h/bin/x" is an absolute command.
const absSpecifiers = "hdtSCLETVyY"
