#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	conn
#open	2026-12-06-02-11-46
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	proto	service	duration	orig_bytes	resp_bytes	conn_state	local_orig	local_resp	missed_bytes	history	orig_pkts	orig_ip_bytes	resp_pkts	resp_ip_bytes	tunnel_parents	community_id
#types	time	string	addr	port	addr	port	enum	string	interval	count	count	string	bool	bool	count	string	count	count	count	count	set[string]	string
1796523106.423086	CkLQEm29CGhMAmBXjF	192.168.42.1	51097	192.168.42.2	8080	tcp	http-alt	0.004154	17	23	SF	-	-	0	ShADadFf	6	337	4	239	C1lxjO5oZq8dvjceDv	1:X5RFBocWF2GusQ6l0XCtkU++Bh4=
1796523106.575397	CXHscW9XzDCqDjKCQK	192.168.42.1	49915	192.168.42.2	9	tcp	-	0.000031	0	0	REJ	-	-	0	Sr	1	60	1	40	C1lxjO5oZq8dvjceDv	1:slsNNnsYRz+H6JK6qdXb598JsDo=
1796523106.675678	CijhMRLOWolQZWMzMY	192.168.42.1	39238	192.168.42.2	5353	udp	mdns	0.005376	15	21	SF	-	-	0	Dd	1	43	1	49	C1lxjO5oZq8dvjceDv	1:EFVddtdkfKXBOSyplWx/U+vI46k=
1796523106.780283	CGP4ivyDRAUEoCLh1i	192.168.42.1	37700	192.168.42.2	5999	udp	-	0.000000	15	0	S0	-	-	0	D	1	43	0	0	C1lxjO5oZq8dvjceDv	1:5GuG4Fp7T6k50dJJsFqQRQVvRbI=
1796523106.913935	CjWRtRQulf1NcsPiFh	192.168.42.1	50791	192.168.42.2	8080	tcp	http-alt	0.003292	17	23	SF	-	-	0	ShADadFf	6	337	4	239	C0pVUHqZBR8fhGEsrs	1:D+cVoQdoo7Xwhou1E4ZhRtDHWGo=
1796523107.062717	C2R3POvwH0wpndtbpa	192.168.42.1	48715	192.168.42.2	8080	tcp	http-alt	0.006464	17	23	SF	-	-	0	ShADadFf	6	337	4	239	C0pVUHqZBR8fhGEsrs	1:uuieTrjOTfMeRGqjQjZ5nOi2qCc=
#close	2026-12-06-02-11-47
#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	tunnel
#open	2026-12-06-02-11-46
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	tunnel_type	action
#types	time	string	addr	port	addr	port	enum	enum
1796523106.423027	C1lxjO5oZq8dvjceDv	10.88.0.1	34963	10.88.0.2	4789	Tunnel::VXLAN	Tunnel::DISCOVER
1796523106.780374	C1lxjO5oZq8dvjceDv	10.88.0.1	34963	10.88.0.2	4789	Tunnel::VXLAN	Tunnel::CLOSE
1796523106.913877	C0pVUHqZBR8fhGEsrs	10.88.0.1	34963	10.88.0.2	4789	Tunnel::VXLAN	Tunnel::DISCOVER
1796523107.069181	C0pVUHqZBR8fhGEsrs	10.88.0.1	34963	10.88.0.2	4789	Tunnel::VXLAN	Tunnel::CLOSE
#close	2026-12-06-02-11-47
