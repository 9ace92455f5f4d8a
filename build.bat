@echo off
rem Builds iocpws.dll for Win32 and x64 (Release) with CMake, MSVC and vcpkg.
rem
rem Prerequisites (see README.md, "Building on Windows"):
rem   - Visual Studio 2019 or later with "Desktop development with C++"
rem     (MSVC, CMake; run this from any prompt: vswhere finds them)
rem   - vcpkg, with VCPKG_ROOT set (git clone https://github.com/microsoft/vcpkg
rem     and bootstrap-vcpkg.bat); vcpkg.json lists openssl, zlib, hiredis, cmocka
rem     and the static triplets link them into the one DLL (wslay is built from
rem     dll\third_party\wslay).
rem
rem Output: bin\win32\iocpws.dll (+ .lib) and bin\win64\iocpws.dll (+ .lib).
rem The tests run on Linux (scripts/test.sh), the Windows DLL under Wine.
setlocal
if "%VCPKG_ROOT%"=="" (
  echo build.bat: set VCPKG_ROOT to your vcpkg checkout first.
  exit /b 1
)
set ROOT=%~dp0
set TOOLCHAIN=%VCPKG_ROOT%\scripts\buildsystems\vcpkg.cmake

call :build Win32 x86-windows-static win32 || exit /b 1
call :build x64 x64-windows-static win64 || exit /b 1
echo build.bat: done: bin\win32\iocpws.dll and bin\win64\iocpws.dll
exit /b 0

:build
rem %1 = CMake platform, %2 = vcpkg triplet, %3 = output folder
set BUILD=%ROOT%build-msvc-%3
cmake -S "%ROOT%." -B "%BUILD%" -A %1 ^
  -DCMAKE_TOOLCHAIN_FILE="%TOOLCHAIN%" -DVCPKG_TARGET_TRIPLET=%2 ^
  -DCMAKE_MSVC_RUNTIME_LIBRARY=MultiThreaded -DIWS_BUILD_TESTS=OFF || exit /b 1
cmake --build "%BUILD%" --config Release || exit /b 1
if not exist "%ROOT%bin\%3" mkdir "%ROOT%bin\%3"
copy /y "%BUILD%\Release\iocpws.dll" "%ROOT%bin\%3\" >nul || exit /b 1
copy /y "%BUILD%\Release\iocpws.lib" "%ROOT%bin\%3\" >nul || exit /b 1
exit /b 0
